/**
 * SIGTERM drains a runner instead of stopping it at once: the first SIGTERM completes `drain` (no
 * new claims, tasks in flight finish); a second one does what the runtime does with SIGTERM by
 * default, interrupt the program (tasks still in flight are recorded failed). SIGINT is unchanged.
 */
import { Deferred, Effect } from "effect"

type Listener = (signal: NodeJS.Signals) => void

export const drainOnSigterm = (drain: Deferred.Deferred<void>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const runtime = process.listeners("SIGTERM") as ReadonlyArray<Listener>
      process.removeAllListeners("SIGTERM")
      const onTerm: Listener = (signal) => {
        if (!Deferred.isDoneUnsafe(drain)) Deferred.doneUnsafe(drain, Effect.void)
        else for (const l of runtime) l(signal)
      }
      process.on("SIGTERM", onTerm)
      return { runtime, onTerm }
    }),
    ({ runtime, onTerm }) =>
      Effect.sync(() => {
        process.removeListener("SIGTERM", onTerm)
        for (const l of runtime) process.on("SIGTERM", l)
      })
  )
