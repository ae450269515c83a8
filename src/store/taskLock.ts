/**
 * Exclusive actions on one task. `cleanup`, `retry`, `run`'s claim, `remove` and the other moves of
 * a task hold its lock (`queue/locks/<id>.lock`, cross-process, via proper-lockfile like the queue
 * lock), so a cleanup that decided from the record to remove a worktree cannot interleave with a
 * retry and a new run that are creating it again. Whoever holds the lock re-reads the record first
 * and acts on what it finds then, never on what it read before waiting.
 *
 * The lock is reentrant within a fiber tree (a held id is passed down), so an action that takes it
 * can call another that takes it too. A holder that died is taken over after the stale time
 * (`TASKQ_LOCK_STALE_MS`, 10 s by default).
 */
import { Context, Effect, FileSystem, Path, Result, Schema } from "effect"
import { CliError } from "effect/cli"
import { lockFile } from "./lockfile.js"
import { QueueError } from "../core/errors.js"
import { validateTaskId } from "../core/ids.js"
import type { TaskRecord } from "../core/task.js"
import { TaskqConfig } from "../support/config.js"
import { QueuePaths } from "../support/paths.js"
import { TaskRepository } from "./TaskRepository.js"

/** Another taskq command held the task's lock for longer than we wait. */
export class TaskBusy extends Schema.TaggedError<TaskBusy>()("TaskBusy", {
  id: Schema.String,
  action: Schema.String,
  holder: Schema.String
}) {
  override get message() {
    return `task ${this.id} is busy: ${this.holder} is acting on it; ${this.action} did not run (try again)`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The ids whose lock this fiber (or one of its ancestors) holds. */
const HeldTaskLocks = Context.Reference<ReadonlySet<string>>("taskq/store/HeldTaskLocks", {
  defaultValue: () => new Set()
})

/** About a minute of waiting for a live holder (cleanups take seconds). */
const RETRIES = { retries: 600, factor: 1, minTimeout: 50, maxTimeout: 150, randomize: true } as const

const lockFiles = Effect.fnUntraced(function* (id: string) {
  const q = yield* QueuePaths
  const path = yield* Path.Path
  const valid = validateTaskId(id)
  if (Result.isFailure(valid)) return yield* new QueueError({ path: q.root, reason: valid.failure.message })
  const dir = path.join(q.root, "locks")
  return { dir, file: path.join(dir, id), lock: path.join(dir, `${id}.lock`), owner: path.join(dir, `${id}.owner`) }
})

/**
 * Runs `effect` holding task `id`'s lock; `action` names what runs (`cleanup`, `retry`, ...) for
 * whoever has to wait. Fails with `TaskBusy` when a live holder keeps it for about a minute.
 */
export const withTaskLock = (id: string, action: string) =>
  Effect.fnUntraced(function* <A, E, R>(
    effect: Effect.Effect<A, E, R>
  ): Effect.fn.Return<A, E | TaskBusy | QueueError, R | QueuePaths | TaskqConfig | FileSystem.FileSystem | Path.Path> {
    const held = yield* HeldTaskLocks
    if (held.has(id)) return yield* effect
    const fs = yield* FileSystem.FileSystem
    const files = yield* lockFiles(id)
    const io = (e: { readonly message: string }) => new QueueError({ path: files.dir, reason: e.message })
    const staleMs = (yield* TaskqConfig).values.lockStaleMs
    yield* fs.makeDirectory(files.dir, { recursive: true }).pipe(Effect.mapError(io))
    const me = `taskq ${action} (pid ${process.pid})`
    return yield* Effect.acquireUseRelease(
      Effect.tryPromise({
        try: () =>
          lockFile(files.file, {
            lockfilePath: files.lock,
            realpath: false,
            stale: Math.max(2000, staleMs),
            retries: RETRIES,
            onCompromised: () => undefined
          }),
        catch: () => "busy" as const
      }).pipe(
        Effect.catch(() =>
          fs.readFileString(files.owner).pipe(
            Effect.orElseSucceed(() => "another taskq command"),
            Effect.flatMap((holder) => Effect.fail(new TaskBusy({ id, action, holder: holder.trim() })))
          )
        ),
        Effect.tap(() => fs.writeFileString(files.owner, me).pipe(Effect.ignore))
      ),
      () => effect.pipe(Effect.provideService(HeldTaskLocks, new Set([...held, id]))),
      (release) =>
        fs
          .remove(files.owner, { force: true })
          .pipe(Effect.ignore, Effect.andThen(Effect.promise(() => release().catch(() => undefined))))
    )
  })

/**
 * Holds task `id`'s lock, re-reads its record and runs `act` on it when `accepts` says the action
 * still applies; else `refused` (the record changed while we waited, e.g. a retry made it todo).
 */
export const withFreshTask = <A, E, R, B, E2, R2>(
  id: string,
  action: string,
  accepts: (task: TaskRecord) => boolean,
  act: (task: TaskRecord) => Effect.Effect<A, E, R>,
  refused: (task: TaskRecord) => Effect.Effect<B, E2, R2>
) =>
  withTaskLock(
    id,
    action
  )(
    Effect.gen(function* () {
      const task = yield* (yield* TaskRepository).get(id)
      return accepts(task) ? yield* act(task) : yield* refused(task)
    })
  )
