// The behaviour every task store must have, run against each layer (JSONL queue dir, PostgreSQL).
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Option, type Path, type Scope } from "effect"
import { runtimeFieldNames } from "../../src/core/task.js"
import { ErrorStore } from "../../src/store/ErrorStore.js"
import { readPrompt } from "../../src/store/pg/SharedQueue.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import type { QueuePaths } from "../../src/support/paths.js"
import { sampleRecord, sampleReport } from "../helpers/layers.js"
import { spanNamesOf, untracedMethods } from "../helpers/spans.js"

export interface StoreBackend {
  readonly name: string
  /** Runs `f` with a fresh, empty store whose local queue root is `root`. */
  readonly run: <A, E>(
    f: (
      root: string
    ) => Effect.Effect<A, E, TaskRepository | ErrorStore | FileSystem.FileSystem | QueuePaths | Path.Path>
  ) => Effect.Effect<A, unknown, Scope.Scope>
}

export const storeSuite = (backend: StoreBackend) =>
  describe(`store contract: ${backend.name}`, () => {
    const live = (
      name: string,
      f: (
        root: string
      ) => Effect.Effect<void, unknown, TaskRepository | ErrorStore | FileSystem.FileSystem | QueuePaths | Path.Path>
    ) => it.live(name, () => Effect.scoped(backend.run(f)))

    live("adds, gets, lists in the order added, and keeps the prompt", (root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        for (const id of ["T-b", "T-a", "T-c"]) yield* tasks.add({ record: sampleRecord(id, root), prompt: `${id}\n` })
        assert.deepStrictEqual(
          (yield* tasks.list).map((r) => r.id),
          ["T-b", "T-a", "T-c"]
        )
        const a = yield* tasks.get("T-a")
        assert.deepStrictEqual(a, sampleRecord("T-a", root, { task_file: a.task_file }))
        assert.strictEqual(yield* readPrompt(a), "T-a\n")
        assert.strictEqual((yield* tasks.get("nope").pipe(Effect.flip))._tag, "TaskNotFound")
      })
    )

    live("refuses a duplicate id and leaves the first task's prompt alone", (root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "first\n" })
        const e = yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "other\n" }).pipe(Effect.flip)
        assert.strictEqual(e._tag, "DuplicateTask")
        assert.strictEqual(yield* readPrompt(yield* tasks.get("T-1")), "first\n")
        assert.lengthOf(yield* tasks.list, 1)
      })
    )

    live("enforces the state machine and patches runtime fields atomically", (root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        const e = yield* tasks.transition("T-1", "done").pipe(Effect.flip)
        assert.strictEqual(e._tag, "InvalidTransition")
        assert.include(e.message, "todo")
        assert.strictEqual((yield* tasks.get("T-1")).status, "todo")
        yield* tasks.transition("T-1", "run", { started_at: "2026-01-01T00:00:05.000Z", runner: "h:1" })
        const reviewed = yield* tasks.transition("T-1", "ok", { container: "c", port: 4000, runner: null })
        assert.deepInclude(reviewed, {
          status: "review",
          container: "c",
          port: 4000,
          started_at: "2026-01-01T00:00:05.000Z"
        })
        assert.notProperty(reviewed, "runner")
        const patched = yield* tasks.updateRuntime("T-1", { port: null, error: "x" })
        assert.notProperty(patched, "port")
        assert.strictEqual(patched.status, "review")
        assert.deepInclude(yield* tasks.get("T-1"), { error: "x", container: "c", status: "review" })
        assert.strictEqual((yield* tasks.transition("nope", "run").pipe(Effect.flip))._tag, "TaskNotFound")
        assert.strictEqual((yield* tasks.updateRuntime("nope", {}).pipe(Effect.flip))._tag, "TaskNotFound")
      })
    )

    live("retry increments the attempt and clears every runtime field", (root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        yield* tasks.transition("T-1", "run", { started_at: "2026-01-01T00:00:05.000Z", runner: "h:1" })
        yield* tasks.transition("T-1", "fail", { container: "c", port: 1, error: "boom", runner: null })
        const again = yield* tasks.transition("T-1", "retry")
        assert.strictEqual(again.status, "todo")
        assert.strictEqual(again.attempt, 2)
        for (const k of runtimeFieldNames) assert.notProperty(again, k)
        assert.deepStrictEqual(yield* tasks.get("T-1"), again)
      })
    )

    live("twenty concurrent claims of one task: exactly one wins", (root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
        const results = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => tasks.transition("T-1", "run", { runner: `h:${i}` }).pipe(Effect.result),
          { concurrency: "unbounded" }
        )
        const wins = results.filter((r) => r._tag === "Success")
        assert.lengthOf(wins, 1)
        for (const r of results)
          if (r._tag === "Failure") assert.strictEqual((r.failure as { _tag: string })._tag, "InvalidTransition")
      })
    )

    live("remove refuses an in-progress task; --purge deletes the markdown, plain remove keeps it", (root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "p1\n" })
        yield* tasks.add({ record: sampleRecord("T-2", root), prompt: "p2\n" })
        yield* tasks.transition("T-1", "run")
        const e = yield* tasks.remove("T-1").pipe(Effect.flip)
        assert.include(e.message, "in_progress")
        const two = yield* tasks.remove("T-2")
        assert.strictEqual(yield* readPrompt(two), "p2\n")
        yield* tasks.transition("T-1", "fail")
        const one = yield* tasks.remove("T-1", { purge: true })
        assert.isTrue(Option.isNone(yield* readPrompt(one).pipe(Effect.option)))
        assert.deepStrictEqual(yield* tasks.list, [])
        assert.strictEqual((yield* tasks.remove("T-1").pipe(Effect.flip))._tag, "TaskNotFound")
      })
    )

    live("error reports: writes, reads and removes the latest", () =>
      Effect.gen(function* () {
        const errors = yield* ErrorStore
        assert.isTrue(Option.isNone(yield* errors.read("T-1")))
        const report = sampleReport("T-1", { stderr: "e\nwith lines" })
        yield* errors.write(report)
        yield* errors.write({ ...report, attempt: 2 })
        assert.deepStrictEqual(Option.getOrThrow(yield* errors.read("T-1")), { ...report, attempt: 2 })
        assert.isTrue(yield* errors.remove("T-1"))
        assert.isFalse(yield* errors.remove("T-1"))
      })
    )

    live("each store method runs in a span named after it (TaskRepository.get, ErrorStore.write, ...)", (root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        const errors = yield* ErrorStore
        const names = yield* spanNamesOf(
          Effect.gen(function* () {
            yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "p\n" })
            yield* tasks.list
            yield* tasks.get("T-1")
            yield* tasks.transition("T-1", "run")
            yield* tasks.updateRuntime("T-1", { port: 40001 })
            yield* tasks.transition("T-1", "fail")
            yield* tasks.remove("T-1")
            yield* errors.write(sampleReport("T-1"))
            yield* errors.read("T-1")
            yield* errors.remove("T-1")
          })
        )
        assert.deepStrictEqual(
          [
            ...untracedMethods("TaskRepository", Object.keys(tasks), names),
            ...untracedMethods("ErrorStore", Object.keys(errors), names)
          ],
          []
        )
      })
    )
  })
