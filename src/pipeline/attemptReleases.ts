/**
 * The releases of a failed attempt's container and worktree. They read how the attempt ended and
 * apply the policy: kept by default, removed with --cleanup-on-fail, containers stopped on
 * interruption. Each step is bounded in time (a hung engine cannot block Ctrl-C); a step that fails
 * or times out is noted for the record's error line, never fatal.
 */
import { Duration, Effect, Exit, Option, Ref } from "effect"
import type { TaskRecord } from "../core/task.js"
import { Docker } from "../adapters/Docker.js"
import { importAgentCommits } from "./agentCommits.js"
import type { RunOptions } from "./attemptTypes.js"
import { releaseWorktree as releaseOwnedWorktree } from "./ownedWorktree.js"
import { type Ended, failureAt } from "./stageBoundary.js"

/** The longest any one step of a release may take (stopping a container, removing a worktree, ...). */
export const RELEASE_STEP_TIMEOUT: Duration.Input = "20 seconds"

/** What the releases did, for the record's error line. */
export interface Released {
  readonly notes: ReadonlyArray<string>
  readonly containerGone: boolean
}

/** Runs one release step: interruptible, time-limited; its failure becomes a note and `None`. */
export const noted =
  (released: Ref.Ref<Released>, what: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, never, R> =>
    Effect.interruptible(self).pipe(
      Effect.timeoutOrElse({
        duration: RELEASE_STEP_TIMEOUT,
        orElse: () => Effect.fail(`no answer within ${Duration.format(Duration.fromInputUnsafe(RELEASE_STEP_TIMEOUT))}`)
      }),
      Effect.tapError((err) =>
        Ref.update(released, (r) => ({
          ...r,
          notes: [...r.notes, `${what} failed: ${err instanceof Error ? err.message : String(err)}`]
        }))
      ),
      Effect.option
    )

/** The task's containers on failure: removed with --cleanup-on-fail, stopped on interruption, else kept. */
export const releaseContainers = Effect.fnUntraced(function* <E>(
  task: TaskRecord,
  options: RunOptions,
  exit: Exit.Exit<unknown, E>,
  released: Ref.Ref<Released>
) {
  if (Exit.isSuccess(exit)) return
  const docker = yield* Docker
  if (options.cleanupOnFail) {
    const removed = yield* docker.removeTaskContainers(task.id).pipe(noted(released, "removing containers"))
    if (Option.isSome(removed)) yield* Ref.update(released, (r) => ({ ...r, containerGone: true }))
  } else if (Exit.hasInterrupts(exit)) {
    const containers = yield* docker.listTaskContainers(task.id).pipe(noted(released, "listing containers"))
    if (Option.isSome(containers))
      yield* Effect.forEach(containers.value, (c) => docker.stop(c.id).pipe(noted(released, `stopping ${c.name}`)), {
        discard: true
      })
  }
})

/**
 * The worktree on failure: the agent's commits brought back to the task branch; with
 * --cleanup-on-fail its other changes committed too, then the worktree removed.
 */
export const releaseWorktree = Effect.fnUntraced(function* <E>(
  task: TaskRecord,
  options: RunOptions,
  ended: Ended,
  exit: Exit.Exit<unknown, E>,
  released: Ref.Ref<Released>
) {
  if (Exit.isSuccess(exit)) return
  const imported = yield* importAgentCommits(task).pipe(noted(released, "bringing back the agent's commits"))
  if (!options.cleanupOnFail) return
  const failure = yield* failureAt(ended, exit.cause)
  // only the worktree taskq created goes (ownedWorktree.ts), and only once its changes are safe on the branch
  if (Option.isNone(imported)) return
  const left = yield* releaseOwnedWorktree(
    task,
    `taskq: work of ${task.id} attempt ${task.attempt} (failed: ${failure.stage})`
  ).pipe(noted(released, "removing the worktree"))
  if (Option.isSome(left) && left.value._tag === "Left")
    yield* Ref.update(released, (r) => ({
      ...r,
      notes: [...r.notes, `left the worktree ${task.worktree_path} in place: ${left.value.reason}`]
    }))
})
