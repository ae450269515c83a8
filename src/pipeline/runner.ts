/**
 * `taskq run --poll` as the long-running runner of a host. Like a polling pass it claims todo tasks
 * (each claim atomic, a task held by another runner skipped) and runs at most `maxParallel` at once;
 * on a shared queue it also registers itself (`status --runners`) and renews its lease. A drain
 * request (SIGTERM) stops new claims and waits for the tasks in flight to end, up to `drainTimeout`;
 * tasks still running then are interrupted and recorded failed by their own finalizers.
 */
import { Console, Deferred, Duration, Effect, FiberSet, Option, Semaphore } from "effect"
import { SharedQueue } from "../store/pg/SharedQueue.js"
import { type QueueRunOptions, recover, todoIds } from "./runQueue.js"
import { runnerHost, runnerId } from "./recover.js"
import { runTask } from "./runTask.js"

export interface RunnerOptions extends QueueRunOptions {
  readonly every: Duration.Input
  /** How long a drain waits for the tasks in flight before interrupting them. */
  readonly drainTimeout: Duration.Input
  /** Completed to drain: no new claims, wait for the tasks in flight, then return. */
  readonly drain: Deferred.Deferred<void>
}

export const runRunner = Effect.fn("runRunner")(function* (options: RunnerOptions) {
  return yield* Effect.scoped(
    Effect.gen(function* () {
      const shared = yield* Effect.serviceOption(SharedQueue)
      const me = runnerId()
      if (Option.isSome(shared)) yield* shared.value.registerRunner(me, runnerHost())
      const running = yield* FiberSet.make<void, never>()
      const inFlight = new Set<string>()
      const ticking = yield* Semaphore.make(1)
      const wake = yield* Deferred.make<void>().pipe(Effect.map((d) => ({ current: d })))
      const draining = () => Deferred.isDoneUnsafe(options.drain)

      const tick = Effect.gen(function* () {
        if (draining()) return
        yield* recover(options)
        for (const id of yield* todoIds) {
          if (draining() || inFlight.size >= options.maxParallel) break
          if (inFlight.has(id)) continue
          inFlight.add(id)
          yield* FiberSet.run(running)(
            runTask(id, options).pipe(
              Effect.tap((o) => (o._tag === "Skipped" ? Effect.void : options.report(o))),
              Effect.catch((e) => Console.error(`taskq: ${id}: ${e.message}`)),
              Effect.asVoid,
              Effect.ensuring(
                Effect.sync(() => {
                  inFlight.delete(id)
                  // a slot is free: look for work now rather than at the next poll
                  Deferred.doneUnsafe(wake.current, Effect.void)
                })
              )
            )
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
      yield* loop
      if (Option.isSome(shared)) yield* shared.value.drain(me).pipe(Effect.ignore)
      yield* Console.error(
        inFlight.size === 0
          ? "taskq: drained, no task in flight"
          : `taskq: draining: no new claims; waiting up to ${Duration.format(Duration.fromInputUnsafe(options.drainTimeout))} for ${[...inFlight].join(", ")}`
      )
      const finished = yield* FiberSet.awaitEmpty(running).pipe(Effect.timeoutOption(options.drainTimeout))
      if (Option.isNone(finished))
        yield* Console.error(`taskq: drain timeout: stopping ${[...inFlight].join(", ")} (recorded as failed)`)
      // closing the scope interrupts what is left; each task's finalizer records it
    })
  )
})
