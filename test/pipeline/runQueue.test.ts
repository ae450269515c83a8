// The queue's loops with a mock runner and a mock store (Layer.mock), on the TestClock: which tasks
// start when, how many at once, and that outcomes arrive as a stream.
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Docker } from "../../src/adapters/Docker.js"
import type { TaskRecord } from "../../src/core/task.js"
import { type QueueRunOptions, runOnce } from "../../src/pipeline/runQueue.js"
import { runRunner } from "../../src/pipeline/runner.js"
import type { TaskOutcome } from "../../src/pipeline/runTask.js"
import { TaskRunner } from "../../src/pipeline/TaskRunner.js"
import { ErrorStore } from "../../src/store/ErrorStore.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { HostFacts } from "../../src/support/hostFacts.js"
import { sampleRecord } from "../helpers/layers.js"
import { testRunOptions } from "../helpers/runtimeMocks.js"

const options: QueueRunOptions = { ...testRunOptions, maxParallel: 2 }

const todo = (id: string, minute: number) =>
  sampleRecord(id, "/q", { created_at: `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z` })

/**
 * A store holding `records`, and a runner that records each id it is asked to run and finishes
 * it when the test opens that task's gate (or at once without one).
 */
const world = Effect.fnUntraced(function* (records: ReadonlyArray<TaskRecord>) {
  const store = yield* Ref.make(records)
  const started = yield* Ref.make<ReadonlyArray<string>>([])
  const gates = new Map<string, Deferred.Deferred<void>>()
  const setStatus = (id: string, status: TaskRecord["status"]) =>
    Ref.update(store, (rs) => rs.map((r) => (r.id === id ? { ...r, status } : r)))
  const layer = Layer.mergeAll(
    Layer.mock(TaskRepository)({ list: Ref.get(store) }),
    Layer.mock(TaskRunner)({
      preflight: () => Effect.void,
      run: (id) =>
        Effect.gen(function* () {
          yield* Ref.update(started, (xs) => [...xs, id])
          const gate = gates.get(id)
          if (gate) yield* Deferred.await(gate)
          yield* setStatus(id, "review")
          return { _tag: "Review", task: { ...todo(id, 0), status: "review" } } satisfies TaskOutcome
        })
    }),
    Layer.mock(HostFacts)({ runner: Effect.succeed({ hostname: "box", pid: 7, id: "box:7" }) }),
    Layer.mock(Docker)({ endpoint: "test" }),
    Layer.mock(ErrorStore)({})
  )
  const gate = Effect.fnUntraced(function* (id: string) {
    const d = yield* Deferred.make<void>()
    gates.set(id, d)
    return d
  })
  return { store, started, layer, gate }
})

/** Polls every 5 s until `drain` completes. */
const poll = (drain: Deferred.Deferred<void>) =>
  runRunner({ ...options, every: "5 seconds", drainTimeout: "30 seconds", drain })

describe("the polling runner (TestClock, mock runner)", () => {
  it.effect("polls every interval, starts new tasks as they appear, never the same task twice", () =>
    Effect.gen(function* () {
      const w = yield* world([todo("T-1", 1)])
      const slow = yield* w.gate("T-1")
      const drain = yield* Deferred.make<void>()
      yield* Effect.gen(function* () {
        const outcomes = yield* poll(drain).pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Ref.get(w.started), ["T-1"])
        // T-1 is still running (and still todo in the mock store): the next tick must not start it again
        yield* Ref.update(w.store, (rs) => [...rs, todo("T-2", 2)])
        yield* TestClock.adjust("4 seconds")
        assert.deepStrictEqual(yield* Ref.get(w.started), ["T-1", "T-2"])
        yield* TestClock.adjust("5 seconds")
        assert.deepStrictEqual(yield* Ref.get(w.started), ["T-1", "T-2"], "no task started twice")
        yield* Deferred.succeed(slow, undefined)
        const collected = yield* Fiber.join(outcomes)
        assert.sameMembers(
          collected.map((o) => (o._tag === "Review" ? o.task.id : "?")),
          ["T-1", "T-2"]
        )
      }).pipe(Effect.provide(w.layer))
    })
  )

  it.effect("at most maxParallel tasks run at once; the others wait for a slot", () =>
    Effect.gen(function* () {
      const w = yield* world([todo("A", 1), todo("B", 2), todo("C", 3)])
      const a = yield* w.gate("A")
      yield* w.gate("B")
      const drain = yield* Deferred.make<void>()
      yield* Effect.gen(function* () {
        const fiber = yield* poll(drain).pipe(Stream.runDrain, Effect.forkChild)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Ref.get(w.started), ["A", "B"])
        yield* Deferred.succeed(a, undefined)
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Ref.get(w.started), ["A", "B", "C"])
        yield* Fiber.interrupt(fiber)
      }).pipe(Effect.provide(w.layer))
    })
  )
})

describe("draining (SIGTERM)", () => {
  it.effect("no new claims; the task in flight finishes; then the stream ends", () =>
    Effect.gen(function* () {
      const w = yield* world([todo("A", 1)])
      const a = yield* w.gate("A")
      const drain = yield* Deferred.make<void>()
      yield* Effect.gen(function* () {
        const outcomes = yield* poll(drain).pipe(Stream.runCollect, Effect.forkChild)
        yield* TestClock.adjust("1 second")
        yield* Deferred.succeed(drain, undefined)
        yield* Ref.update(w.store, (rs) => [...rs, todo("B", 2)])
        yield* TestClock.adjust("10 seconds")
        yield* Deferred.succeed(a, undefined)
        const collected = yield* Fiber.join(outcomes)
        assert.deepStrictEqual(yield* Ref.get(w.started), ["A"], "B is not claimed once draining")
        assert.strictEqual(collected.length, 1)
      }).pipe(Effect.provide(w.layer))
    })
  )
})

describe("runOnce (mock runner)", () => {
  it.effect("runs the todo tasks oldest first and streams their outcomes", () =>
    Effect.gen(function* () {
      const w = yield* world([todo("late", 9), sampleRecord("done", "/q", { status: "done" }), todo("early", 1)])
      yield* Effect.gen(function* () {
        const outcomes = yield* runOnce({ ...options, maxParallel: 1 }).pipe(Stream.runCollect)
        assert.deepStrictEqual(yield* Ref.get(w.started), ["early", "late"])
        assert.strictEqual(outcomes.length, 2)
      }).pipe(Effect.provide(w.layer))
    })
  )
})
