// Issue 9, scenario 1 and 3: ids read from tasks.jsonl are validated, paths derived from them stay
// inside the queue, and links inside the queue are never followed. Each attack ends with nothing reached.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import { join } from "node:path"
import { runTask } from "../../src/pipeline/runTask.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { cli } from "../helpers/cli.js"
import { tempDir, writeQueueRecords } from "../helpers/fixtures.js"
import { sampleRecord } from "../helpers/layers.js"
import { fakeRuntimeWorld, testRunOptions } from "../helpers/runtimeMocks.js"

/** Every path below `dir` with its content (files) or link target: equal snapshots = untouched. */
export const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      const st = lstatSync(p)
      if (st.isSymbolicLink()) out[p] = "link"
      else if (st.isDirectory()) {
        out[p] = "dir"
        walk(p)
      } else out[p] = readFileSync(p, "utf8")
    }
  }
  walk(dir)
  return out
}

/** A queue with one healthy task in review (its prompt, agent state and worktree folder) and `extra` lines. */
const queueWith = (extra: ReadonlyArray<Record<string, unknown>>) => {
  const dir = tempDir()
  const queue = join(dir, "queue")
  for (const d of ["tasks", "errors", "worktrees/OK-1", "opencode/OK-1/attempt-1/data"])
    mkdirSync(join(queue, d), { recursive: true })
  writeFileSync(join(queue, "tasks", "OK-1.md"), "keep me\n")
  writeFileSync(join(queue, "worktrees", "OK-1", "work.txt"), "uncommitted work\n")
  writeFileSync(join(queue, "opencode", "OK-1", "attempt-1", "data", "session.db"), "session\n")
  const ok = sampleRecord("OK-1", queue, { status: "review", container: "task-OK-1-x", port: 4000 })
  writeQueueRecords(queue, [ok, ...extra])
  return { dir, queue }
}

describe("ids read from tasks.jsonl are validated before anything is done with them", () => {
  for (const badId of ["..", ".", "", "../../x"]) {
    it.live(
      `a cancelled record with id ${JSON.stringify(badId)}: cleanup refuses with file:line, nothing touched`,
      () =>
        Effect.gen(function* () {
          const { dir, queue } = queueWith([])
          // the record an attacker (or a careless edit) adds, with every path pointing into the queue
          const bad = { ...sampleRecord("X", queue, { status: "cancelled" }), id: badId }
          const outside = join(dir, "x")
          mkdirSync(outside)
          writeFileSync(join(outside, "precious.txt"), "outside\n")
          writeFileSync(
            join(queue, "tasks.jsonl"),
            readFileSync(join(queue, "tasks.jsonl"), "utf8") + JSON.stringify(bad) + "\n"
          )
          const before = snapshot(dir)
          for (const args of [
            ["cleanup"],
            ["cleanup", "--id", badId],
            ["remove", "--id", badId, "--purge"],
            ["status"]
          ]) {
            const r = yield* cli(...args, "--queue-dir", queue)
            assert.isFalse(r.ok, args.join(" "))
            // with --id, the bad id itself may be refused first; without, the record is named by file:line
            if (!args.includes("--id"))
              assert.include(r.stderr, `${join(queue, "tasks.jsonl")}:2: not a valid task record`)
            assert.include(r.stderr, "invalid task id")
            assert.strictEqual(r.stderr.split("\n").length, 1)
          }
          assert.deepStrictEqual(snapshot(dir), before)
        })
    )
  }

  it.live("remove --purge of a record whose id climbs out of the queue: the outside .md survives", () =>
    Effect.gen(function* () {
      const { dir, queue } = queueWith([])
      writeFileSync(join(dir, "notes.md"), "mine\n")
      const bad = { ...sampleRecord("X", queue, { status: "done" }), id: "../../notes" }
      writeFileSync(join(queue, "tasks.jsonl"), JSON.stringify(bad) + "\n")
      const r = yield* cli("remove", "--id", "../../notes", "--purge", "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.include(r.stderr, 'invalid task id "../../notes"')
      assert.strictEqual(readFileSync(join(dir, "notes.md"), "utf8"), "mine\n")
      const c = yield* cli("cleanup", "--queue-dir", queue)
      assert.include(c.stderr, "tasks.jsonl:1: not a valid task record")
      assert.strictEqual(readFileSync(join(dir, "notes.md"), "utf8"), "mine\n")
    })
  )

  it.live("relative paths in a record are refused too (they would depend on the current directory)", () =>
    Effect.gen(function* () {
      const { queue } = queueWith([])
      writeFileSync(
        join(queue, "tasks.jsonl"),
        JSON.stringify(sampleRecord("T-2", queue, { worktree_path: "wt", status: "done" })) + "\n"
      )
      const r = yield* cli("status", "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.include(r.stderr, "tasks.jsonl:1: not a valid task record")
      assert.include(r.stderr, "absolute path")
    })
  )
})

describe("links inside the queue are never followed", () => {
  it.live("remove --purge when queue/tasks/<id>.md is a link: refused, the target and the record stay", () =>
    Effect.gen(function* () {
      const { dir, queue } = queueWith([])
      writeFileSync(join(dir, "secret.md"), "host file\n")
      const rec = sampleRecord("L-1", queue, { status: "done" })
      writeFileSync(join(queue, "tasks.jsonl"), JSON.stringify(rec) + "\n")
      symlinkSync(join(dir, "secret.md"), join(queue, "tasks", "L-1.md"))
      const r = yield* cli("remove", "--id", "L-1", "--purge", "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.include(r.stderr, "is a symbolic link")
      assert.strictEqual(readFileSync(join(dir, "secret.md"), "utf8"), "host file\n")
      assert.include(readFileSync(join(queue, "tasks.jsonl"), "utf8"), '"id":"L-1"')
    })
  )

  /** A real store, fake runtime adapters that record what the agent would be sent. */
  const runWorld = (prompts: Array<string>) =>
    fakeRuntimeWorld(
      { opencode: { send: (_server, _session, message) => Effect.sync(() => void prompts.push(message.text)) } },
      []
    )

  it.live("run with queue/tasks/<id>.md a link to a host file: refused, nothing sent to the model", () => {
    const prompts: Array<string> = []
    const w = runWorld(prompts)
    return Effect.gen(function* () {
      yield* w.seed
      writeFileSync(join(w.dir, "id_rsa"), "PRIVATE KEY\n")
      const md = join(w.root, "tasks", "T-1.md")
      rmSync(md)
      symlinkSync(join(w.dir, "id_rsa"), md)
      const outcome = yield* runTask("T-1", testRunOptions)
      assert.strictEqual(outcome._tag, "Failed")
      assert.deepStrictEqual(prompts, [])
      const t = yield* (yield* TaskRepository).get("T-1")
      assert.strictEqual(t.status, "failed")
      assert.include(t.error, "symbolic link")
    }).pipe(Effect.provide(w.layer))
  })

  it.live("run with queue/worktrees/<id> a dangling link: refused at setup, nothing created at its target", () => {
    const w = runWorld([])
    return Effect.gen(function* () {
      yield* w.seed
      const target = join(w.dir, "elsewhere")
      symlinkSync(target, join(w.root, "worktrees", "T-1"))
      const outcome = yield* runTask("T-1", testRunOptions)
      assert.strictEqual(outcome._tag, "Failed")
      assert.isFalse(existsSync(target))
      assert.include((yield* (yield* TaskRepository).get("T-1")).error, "symbolic link")
    }).pipe(Effect.provide(w.layer))
  })

  it.live("run with queue/opencode/<id> a link to a host folder: refused at setup, the folder untouched", () => {
    const w = runWorld([])
    return Effect.gen(function* () {
      yield* w.seed
      const target = join(w.dir, "important")
      mkdirSync(join(target, "attempt-1"), { recursive: true })
      writeFileSync(join(target, "attempt-1", "keep.txt"), "keep\n")
      symlinkSync(target, join(w.root, "opencode", "T-1"))
      const before = snapshot(target)
      const outcome = yield* runTask("T-1", testRunOptions)
      assert.strictEqual(outcome._tag, "Failed")
      assert.deepStrictEqual(snapshot(target), before)
      assert.include((yield* (yield* TaskRepository).get("T-1")).error, "symbolic link")
    }).pipe(Effect.provide(w.layer))
  })
})

describe("cleanup never follows a link at queue/opencode/<id>", () => {
  it.live("a cancelled task whose agent state dir is a link: cleanup refuses it, the target stays", () =>
    Effect.gen(function* () {
      const { dir, queue } = queueWith([])
      const target = join(dir, "home-data")
      mkdirSync(target)
      writeFileSync(join(target, "keep.txt"), "keep\n")
      const rec = sampleRecord("C-1", queue, { status: "cancelled" })
      writeFileSync(join(queue, "tasks.jsonl"), JSON.stringify(rec) + "\n")
      symlinkSync(target, join(queue, "opencode", "C-1"))
      const r = yield* cli("cleanup", "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.include(r.stderr, "is a symbolic link")
      assert.isTrue(existsSync(join(target, "keep.txt")))
      assert.isTrue(lstatSync(join(queue, "opencode", "C-1")).isSymbolicLink())
    })
  )
})
