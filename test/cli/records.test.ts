// Issue 9 scenario 5: fields this version does not know survive every rewrite of tasks.jsonl.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { cli } from "../helpers/cli.js"
import { makeRepo, queueRecords, tempDir, writeQueueRecords } from "../helpers/fixtures.js"
import { sampleRecord } from "../helpers/layers.js"

describe("records round-trip", () => {
  it.live("unknown fields are kept, in place, through a move, an add and a remove of another task", () =>
    Effect.gen(function* () {
      const queue = join(tempDir(), "queue")
      mkdirSync(queue, { recursive: true })
      const future = { ...sampleRecord("T-1", queue), priority: 3, labels: ["ui", "bug"], meta: { owner: "ana" } }
      const other = { ...sampleRecord("T-2", queue), x_note: "bye" }
      writeQueueRecords(queue, [future, other])

      assert.isTrue((yield* cli("cancel", "--id", "T-1", "--queue-dir", queue)).ok)
      const add = yield* cli("add", "--id", "T-3", "--repo", makeRepo(), "--task", "t", "--queue-dir", queue)
      assert.isTrue(add.ok, add.stderr)
      assert.isTrue((yield* cli("remove", "--id", "T-2", "--queue-dir", queue)).ok)

      const [t1, t3, ...rest] = queueRecords(queue)
      assert.deepStrictEqual(rest, [])
      assert.deepInclude(t1, {
        id: "T-1",
        status: "cancelled",
        priority: 3,
        labels: ["ui", "bug"],
        meta: { owner: "ana" }
      })
      assert.strictEqual(t3.id, "T-3")
      assert.notProperty(t3, "priority")
      const status = yield* cli("status", "--id", "T-1", "--json", "--queue-dir", queue)
      assert.isTrue(status.ok)
    })
  )
})
