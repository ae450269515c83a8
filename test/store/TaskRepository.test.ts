import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ErrorStore } from "../../src/store/ErrorStore.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { errorReport, tempDir } from "../helpers/fixtures.js"
import { sampleRecord, sampleReport, storeAt } from "../helpers/layers.js"
import { freshPgUrl, pgStoreAt } from "./pg.js"
import { storeSuite } from "./storeSuite.js"

const withStore = <A, E>(f: (root: string) => Effect.Effect<A, E, TaskRepository | ErrorStore>) => {
  const root = join(tempDir(), "queue")
  return f(root).pipe(Effect.provide(storeAt(root)))
}

storeSuite({
  name: "JSONL queue dir",
  run: (f) => {
    const root = join(tempDir(), "queue")
    return f(root).pipe(Effect.provide(storeAt(root)))
  }
})

storeSuite({
  name: "PostgreSQL",
  run: (f) =>
    Effect.gen(function* () {
      const root = join(tempDir(), "queue")
      return yield* f(root).pipe(Effect.provide(pgStoreAt(yield* freshPgUrl, root)))
    })
})

describe("TaskRepository (JSONL specifics, real filesystem)", () => {
  it.live("bootstraps the queue layout", () =>
    withStore((root) =>
      Effect.gen(function* () {
        yield* (yield* TaskRepository).list
        for (const p of ["tasks.jsonl", "tasks", "worktrees", "errors", "opencode"])
          assert.isTrue(existsSync(join(root, p)), p)
      })
    )
  )

  it.live("writes the prompt to tasks/<id>.md and one line per record", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "first\n" })
        yield* tasks.add({ record: sampleRecord("T-2", root), prompt: "second\n" })
        assert.strictEqual(readFileSync(join(root, "tasks", "T-2.md"), "utf8"), "second\n")
        assert.strictEqual(readFileSync(join(root, "tasks.jsonl"), "utf8").split("\n").length, 3)
      })
    )
  )

  it.live("a malformed line is an error naming file:line, and the file is left byte for byte", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        const file = join(root, "tasks.jsonl")
        const broken = readFileSync(file, "utf8") + '{"id": "T-2", "status": "weird"}\n'
        writeFileSync(file, broken)
        const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string; readonly message: string }>> = [
          tasks.list,
          tasks.add({ record: sampleRecord("T-3", root), prompt: "p\n" }),
          tasks.transition("T-1", "run")
        ]
        for (const attempt of attempts) {
          const e = yield* Effect.flip(attempt)
          assert.strictEqual(e._tag, "RecordDecodeError")
          assert.include(e.message, `${file}:2:`)
        }
        assert.strictEqual(readFileSync(file, "utf8"), broken)
        assert.isFalse(existsSync(join(root, "tasks", "T-3.md")))
      })
    )
  )

  it.live("a line that is not JSON, and a repeated id, are errors too", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        const file = join(root, "tasks.jsonl")
        const good = readFileSync(file, "utf8")
        writeFileSync(file, good + "not json\n")
        assert.include((yield* Effect.flip(tasks.list)).message, `${file}:2:`)
        writeFileSync(file, good + "\n" + good)
        const dup = yield* Effect.flip(tasks.list)
        assert.include(dup.message, `${file}:3:`)
        assert.include(dup.message, "duplicate id T-1 (first at line 1)")
      })
    )
  )
})

describe("ErrorStore (JSONL specifics; reading and removing: the store contract)", () => {
  it.live("the latest report is the file queue/errors/<id>.json, gone once removed", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const errors = yield* ErrorStore
        const report = sampleReport("T-1")
        const file = yield* errors.write(report)
        assert.strictEqual(file, join(root, "errors", "T-1.json"))
        assert.deepStrictEqual(Option.getOrThrow(yield* errors.read("T-1")), report)
        assert.deepStrictEqual(errorReport(root, "T-1"), report)
        assert.isTrue(yield* errors.remove("T-1"))
        assert.isFalse(existsSync(file))
      })
    )
  )
})
