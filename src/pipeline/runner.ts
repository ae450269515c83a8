/**
 * `taskq run --poll` as the long-running runner of a host. Like a polling pass it claims todo tasks
 * (each claim atomic, a task held by another runner skipped) and runs at most `maxParallel` at once;
 * on a shared queue it also registers itself (`status --runners`) and renews its lease. A drain
 * request (SIGTERM) stops new claims and waits for the tasks in flight to end, up to `drainTimeout`;
 * tasks still running then are interrupted and recorded failed by their own finalizers.
 *
 * The runner is a stream of task outcomes, each emitted as soon as it is known; the stream ends
 * once a drain is done, and interrupting it (Ctrl-C) stops the tasks in flight. Its fibers live in
 * a FiberMap keyed by task id: a task in flight is never started twice.
 */
import {
  type Cause,
  Console,
  Deferred,
  Duration,
  Effect,
  Fiber,
  FiberMap,
  Option,
  Queue,
  Semaphore,
  Stream
} from "effect"
import { SharedQueue } from "../store/pg/SharedQueue.js"
import type { TaskRepository } from "../store/TaskRepository.js"
import { HostFacts } from "../support/hostFacts.js"
import { type QueueRunOptions, recover, todoIds } from "./runQueue.js"
import type { TaskOutcome } from "./runTask.js"
import { TaskRunner } from "./TaskRunner.js"

export interface RunnerOptions extends QueueRunOptions {
  readonly every: Duration.Input
  /** How long a drain waits for the tasks in flight before interrupting them. */
  readonly drainTimeout: Duration.Input
  /** Completed to drain: no new claims, wait for the tasks in flight, then end. */
  readonly drain: Deferred.Deferred<void>
}

type RunnerServices = TaskRunner | HostFacts | TaskRepository | Effect.Services<typeof recover>
/** Registering this runner on a shared queue can fail; nothing after that fails the stream. */
type RegisterError = Effect.Error<ReturnType<SharedQueue["Service"]["registerRunner"]>>

export const runRunner = (options: RunnerOptions): Stream.Stream<TaskOutcome, RegisterError, RunnerServices> =>
  Stream.callback<TaskOutcome, RegisterError, RunnerServices>(
    Effect.fnUntraced(function* (queue: Queue.Queue<TaskOutcome, RegisterError | Cause.Done>) {
      const runner = yield* TaskRunner
      const shared = yield* Effect.serviceOption(SharedQueue)
      const me = yield* (yield* HostFacts).runner
      if (Option.isSome(shared)) yield* shared.value.registerRunner(me.id, me.hostname)
      const running = yield* FiberMap.make<string>()
      const ticking = yield* Semaphore.make(1)
      const wake = yield* Deferred.make<void>().pipe(Effect.map((d) => ({ current: d })))
      const draining = () => Deferred.isDoneUnsafe(options.drain)
      const emit = (o: TaskOutcome) => Queue.offer(queue, o)
      const inFlight = () => [...running].map(([id]) => id)

      const tick = Effect.gen(function* () {
        if (draining()) return
        yield* Effect.forEach(yield* recover, emit, { discard: true })
        const ids = (yield* todoIds).filter((id) => !FiberMap.hasUnsafe(running, id))
        if (ids.length > 0) yield* runner.preflight(options) // a machine-wide fault: the tick claims nothing
        for (const id of ids) {
          if (draining() || (yield* FiberMap.size(running)) >= options.maxParallel) break
          const fiber = yield* FiberMap.run(running, id, { onlyIfMissing: true })(
            runner.run(id, options).pipe(
              Effect.flatMap((o) => (o._tag === "Skipped" ? Effect.void : emit(o))),
              Effect.catch((e) => Console.error(`taskq: ${id}: ${e.message}`))
            )
          )
          // once it has left the map, a slot is free: look for work now rather than at the next poll
          yield* Fiber.await(fiber).pipe(
            Effect.andThen(Effect.sync(() => Deferred.doneUnsafe(wake.current, Effect.void))),
            Effect.forkScoped
          )
        }
      }).pipe(
        ticking.withPermits(1),
        Effect.catch((e) => Console.error(`taskq: poll: ${e.message}`)) // one bad tick must not end the loop
      )

      const loop = Effect.gen(function* () {
        while (!draining()) {
          yield* tick
          const next = yield* Deferred.make<void>()
          wake.current = next
          yield* Effect.raceAll([Effect.sleep(options.every), Deferred.await(next), Deferred.await(options.drain)])
        }
      })

      const drained = Effect.gen(function* () {
        if (Option.isSome(shared)) yield* shared.value.drain(me.id).pipe(Effect.ignore)
        const left = inFlight()
        const drainTimeout = Duration.format(Duration.fromInputUnsafe(options.drainTimeout))
        yield* Console.error(
          left.length === 0
            ? "taskq: drained, no task in flight"
            : `taskq: draining: no new claims; waiting up to ${drainTimeout} for ${left.join(", ")}`
        )
        const finished = yield* FiberMap.awaitEmpty(running).pipe(Effect.timeoutOption(options.drainTimeout))
        if (Option.isNone(finished))
          yield* Console.error(`taskq: drain timeout: stopping ${inFlight().join(", ")} (recorded as failed)`)
        // clearing the map interrupts what is left; each task's finalizer records it
        yield* FiberMap.clear(running)
        yield* Queue.end(queue)
      })
      yield* Effect.forkScoped(Effect.andThen(loop, drained))
    })
  )
