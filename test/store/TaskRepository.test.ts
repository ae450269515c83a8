import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ErrorStore } from "../../src/store/ErrorStore.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { tempDir } from "../helpers/fixtures.js"
import { sampleRecord, storeAt } from "../helpers/layers.js"

const withStore = <A, E>(f: (root: string) => Effect.Effect<A, E, TaskRepository | ErrorStore>) => {
  const root = join(tempDir(), "queue")
  return f(root).pipe(Effect.provide(storeAt(root)))
}

describe("TaskRepository (real filesystem)", () => {
  it.live("bootstraps the queue layout", () =>
    withStore((root) =>
      Effect.gen(function* () {
        yield* (yield* TaskRepository).list
        for (const p of ["tasks.jsonl", "tasks", "worktrees", "errors", "opencode"])
          assert.isTrue(existsSync(join(root, p)), p)
      })
    )
  )

  it.live("adds, gets, lists in order, and writes the prompt", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const repo = yield* TaskRepository
        yield* repo.add({ record: sampleRecord("T-1", root), prompt: "first\n" })
        yield* repo.add({ record: sampleRecord("T-2", root), prompt: "second\n" })
        assert.deepStrictEqual(
          (yield* repo.list).map((r) => r.id),
          ["T-1", "T-2"]
        )
        assert.strictEqual((yield* repo.get("T-2")).branch, "taskq/T-2")
        assert.strictEqual(readFileSync(join(root, "tasks", "T-2.md"), "utf8"), "second\n")
        assert.strictEqual(readFileSync(join(root, "tasks.jsonl"), "utf8").split("\n").length, 3)
      })
    )
  )

  it.live("refuses a duplicate id and leaves the first task's prompt alone", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const repo = yield* TaskRepository
        yield* repo.add({ record: sampleRecord("T-1", root), prompt: "first\n" })
        const e = yield* repo.add({ record: sampleRecord("T-1", root), prompt: "other\n" }).pipe(Effect.flip)
        assert.strictEqual(e._tag, "DuplicateTask")
        assert.strictEqual(readFileSync(join(root, "tasks", "T-1.md"), "utf8"), "first\n")
      })
    )
  )

  it.live("enforces the state machine and patches runtime fields atomically", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const repo = yield* TaskRepository
        yield* repo.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        const e = yield* repo.transition("T-1", "done").pipe(Effect.flip)
        assert.strictEqual(e._tag, "InvalidTransition")
        yield* repo.transition("T-1", "run", { started_at: "2026-01-01T00:00:05.000Z" })
        const reviewed = yield* repo.transition("T-1", "ok", { container: "c", port: 4000 })
        assert.deepInclude(reviewed, {
          status: "review",
          container: "c",
          port: 4000,
          started_at: "2026-01-01T00:00:05.000Z"
        })
        const patched = yield* repo.updateRuntime("T-1", { port: null, error: "x" })
        assert.notProperty(patched, "port")
        assert.strictEqual(patched.status, "review")
        assert.deepInclude(yield* repo.get("T-1"), { error: "x", container: "c" })
        assert.strictEqual((yield* repo.get("nope").pipe(Effect.flip))._tag, "TaskNotFound")
      })
    )
  )

  it.live("remove refuses an in-progress task; --purge deletes the markdown, plain remove keeps it", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const repo = yield* TaskRepository
        yield* repo.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        yield* repo.add({ record: sampleRecord("T-2", root), prompt: "p\n" })
        yield* repo.transition("T-1", "run")
        const e = yield* repo.remove("T-1").pipe(Effect.flip)
        assert.include(e.message, "in_progress")
        yield* repo.remove("T-2")
        assert.isTrue(existsSync(join(root, "tasks", "T-2.md")))
        yield* repo.transition("T-1", "fail")
        yield* repo.remove("T-1", { purge: true })
        assert.isFalse(existsSync(join(root, "tasks", "T-1.md")))
        assert.deepStrictEqual(yield* repo.list, [])
      })
    )
  )

  it.live("a malformed line is an error naming file:line, and the file is left byte for byte", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const repo = yield* TaskRepository
        yield* repo.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        const file = join(root, "tasks.jsonl")
        const broken = readFileSync(file, "utf8") + '{"id": "T-2", "status": "weird"}\n'
        writeFileSync(file, broken)
        const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string; readonly message: string }>> = [
          repo.list,
          repo.add({ record: sampleRecord("T-3", root), prompt: "p\n" }),
          repo.transition("T-1", "run")
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
        const repo = yield* TaskRepository
        yield* repo.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        const file = join(root, "tasks.jsonl")
        const good = readFileSync(file, "utf8")
        writeFileSync(file, good + "not json\n")
        assert.include((yield* Effect.flip(repo.list)).message, `${file}:2:`)
        writeFileSync(file, good + "\n" + good)
        const dup = yield* Effect.flip(repo.list)
        assert.include(dup.message, `${file}:3:`)
        assert.include(dup.message, "duplicate id T-1 (first at line 1)")
      })
    )
  )
})

describe("ErrorStore", () => {
  it.live("writes, reads and removes the latest report", () =>
    withStore((root) =>
      Effect.gen(function* () {
        const errors = yield* ErrorStore
        assert.isTrue(Option.isNone(yield* errors.read("T-1")))
        const report = {
          task_id: "T-1",
          attempt: 1,
          stage: "execute",
          exit_code: 3,
          stdout: "o",
          stderr: "e",
          message: "m",
          created_at: "2026-01-01T00:00:00.000Z"
        }
        const file = yield* errors.write(report)
        assert.strictEqual(file, join(root, "errors", "T-1.json"))
        assert.deepStrictEqual(Option.getOrThrow(yield* errors.read("T-1")), report)
        assert.isTrue(yield* errors.remove("T-1"))
        assert.isFalse(yield* errors.remove("T-1"))
      })
    )
  )
})
