// The per-task lock on a real queue folder: exclusion, reentrancy, and acting on the record as it is.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, type Layer, Ref } from "effect"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { withFreshTask, withTaskLock } from "../../src/store/taskLock.js"
import { tempDir } from "../helpers/fixtures.js"
import { sampleRecord, storeAt } from "../helpers/layers.js"

type Store = Layer.Success<ReturnType<typeof storeAt>>
const withQueue = <A, E>(f: (root: string) => Effect.Effect<A, E, Store>) => {
  const root = join(tempDir(), "queue")
  return f(root).pipe(Effect.provide(storeAt(root)))
}

describe("withTaskLock", () => {
  it.live("two actions on one task never overlap; on two tasks they do", () =>
    withQueue((root) =>
      Effect.gen(function* () {
        const log = yield* Ref.make<ReadonlyArray<string>>([])
        const action = (id: string, name: string) =>
          Effect.gen(function* () {
            yield* Ref.update(log, (l) => [...l, `${name} in`])
            yield* Effect.sleep("300 millis")
            yield* Ref.update(log, (l) => [...l, `${name} out`])
          }).pipe(withTaskLock(id, name))
        yield* Effect.all([action("A", "a1"), action("A", "a2")], { concurrency: 2 })
        const one = yield* Ref.get(log)
        assert.deepStrictEqual(
          one.map((l) => l.split(" ")[1]),
          ["in", "out", "in", "out"]
        )
        yield* Ref.set(log, [])
        yield* Effect.all([action("A", "a"), action("B", "b")], { concurrency: 2 })
        assert.deepStrictEqual(
          (yield* Ref.get(log)).slice(0, 2).map((l) => l.split(" ")[1]),
          ["in", "in"]
        )
        assert.isFalse(existsSync(join(root, "locks", "A.lock")), "released")
      })
    )
  )

  it.live("is reentrant: an action holding the lock can call another that takes it", () =>
    withQueue(() =>
      Effect.gen(function* () {
        const inner = Effect.succeed("inner").pipe(withTaskLock("A", "inner"))
        const fiber = yield* Effect.forkChild(inner.pipe(withTaskLock("A", "outer")))
        assert.strictEqual(yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds")), "inner")
      })
    )
  )

  it.live("an id that is not a task id is refused before any path is made from it", () =>
    withQueue((root) =>
      Effect.gen(function* () {
        const e = yield* Effect.void.pipe(withTaskLock("../x", "cleanup"), Effect.flip)
        assert.strictEqual(e._tag, "QueueError")
        assert.isFalse(existsSync(join(root, "x.lock")))
      })
    )
  )
})

describe("withFreshTask", () => {
  it.live("acts on the record as it is once the lock is held, not as it was read before", () =>
    withQueue((root) =>
      Effect.gen(function* () {
        const tasks = yield* TaskRepository
        yield* tasks.add({ record: sampleRecord("A", root, { status: "failed" }), prompt: "x" })
        const stale = yield* tasks.get("A")
        // a retry holds the lock and moves the task on while the cleanup waits
        const retry = yield* Effect.forkChild(
          Effect.sleep("300 millis").pipe(Effect.andThen(tasks.transition("A", "retry")), withTaskLock("A", "retry"))
        )
        yield* Effect.sleep("100 millis")
        const outcome = yield* withFreshTask(
          "A",
          "cleanup",
          (t) => t.status === "failed",
          () => Effect.succeed("cleaned"),
          (t) => Effect.succeed(`refused: ${t.status}`)
        )
        yield* Fiber.join(retry)
        assert.strictEqual(stale.status, "failed")
        assert.strictEqual(outcome, "refused: todo")
      })
    )
  )
})
