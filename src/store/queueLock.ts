/**
 * The exclusive cross-process queue lock, via proper-lockfile: a lock directory created atomically
 * (mkdir), whose mtime the holder refreshes; a holder that crashed stops refreshing, so after
 * the stale time its lock is stale and the next taskq process takes it over.
 */
import { Effect, Scope } from "effect"
import { lockFile } from "./lockfile.js"
import { QueueError } from "../core/errors.js"

/** A holder silent for this long is taken for dead (`TASKQ_LOCK_STALE_MS`, at least 2000). */
export const DEFAULT_STALE_MS = 10_000
/** About a minute of waiting for a live holder before giving up with a clear error. */
const RETRIES = { retries: 1200, factor: 1, minTimeout: 20, maxTimeout: 80, randomize: true } as const

export interface HeldLock {
  /** Fails when the lock was lost while held (its mtime could not be refreshed or it was taken). */
  readonly ensureHeld: Effect.Effect<void, QueueError>
}

/** Holds the lock `<file>.lock` for the enclosing scope. */
export const acquireQueueLock = (
  file: string,
  staleMs: number = DEFAULT_STALE_MS
): Effect.Effect<HeldLock, QueueError, Scope.Scope> => {
  const lockPath = `${file}.lock`
  let compromised: Error | undefined
  return Effect.acquireRelease(
    Effect.tryPromise({
      try: () =>
        lockFile(file, {
          lockfilePath: lockPath,
          realpath: false,
          stale: staleMs,
          retries: RETRIES,
          onCompromised: (err) => {
            compromised = err
          }
        }),
      catch: (e) =>
        new QueueError({
          path: file,
          reason: `could not take the queue lock ${lockPath}: ${e instanceof Error ? e.message : String(e)}`
        })
    }),
    (release) => Effect.promise(() => release().catch(() => undefined))
  ).pipe(
    Effect.as<HeldLock>({
      ensureHeld: Effect.suspend(() =>
        compromised === undefined
          ? Effect.void
          : Effect.fail(
              new QueueError({ path: file, reason: `the queue lock was lost while held: ${compromised.message}` })
            )
      )
    })
  )
}
