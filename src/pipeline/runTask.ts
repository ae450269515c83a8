/**
 * One task, one attempt: claim -> setup -> execute -> success (review), or failed with an error
 * report. The attempt runs in its own scope. The worktree and the container are acquired with a
 * release that reads how the attempt ended and applies the policy (preserve by default, remove
 * with --cleanup-on-fail, stop the containers on interruption); the failure is recorded by the
 * scope's first finalizer, so last, whatever ended the attempt: a failed stage, a defect, or an
 * interruption (Ctrl-C). Every release step has a time limit: a hung engine cannot block Ctrl-C.
 *
 * The stages live beside it (setupStage.ts, executeStage.ts, successStage.ts), as do their
 * boundary (stageBoundary.ts), the releases (attemptReleases.ts) and the failure's record
 * (recordFailure.ts); what they share is attemptTypes.ts.
 */
import { type Cause, Deferred, Effect, Exit, Option, Ref } from "effect"
import type { TaskRecord } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { withTaskLock } from "../store/taskLock.js"
import { HostFacts } from "../support/hostFacts.js"
import type { Released } from "./attemptReleases.js"
import type { RunOptions, TaskOutcome } from "./attemptTypes.js"
import type { Failure } from "./errorReport.js"
import { executeStage } from "./executeStage.js"
import { localTask } from "./mirror.js"
import { recordFailure } from "./recordFailure.js"
import { setupStage } from "./setupStage.js"
import { atStage, type Ended, failureAt } from "./stageBoundary.js"
import { successStage } from "./successStage.js"

export { RELEASE_STEP_TIMEOUT } from "./attemptReleases.js"
export type { Agent, RunOptions, TaskOutcome, Workspace } from "./attemptTypes.js"

export const runTask = Effect.fn("runTask")(function* (id: string, options: RunOptions) {
  const claimed = yield* claim(id)
  if (Option.isNone(claimed))
    return { _tag: "Skipped", id, reason: "not todo (claimed by another runner?)" } satisfies TaskOutcome
  const ended = yield* Deferred.make<Failure>()
  return yield* localTask(claimed.value).pipe(
    Effect.flatMap((local) => attempt(local, options, ended)),
    Effect.map((t): TaskOutcome => ({ _tag: "Review", task: t })),
    Effect.catchCause((cause) => failedOutcome(id, ended, cause))
  )
})

/** The outcome of an attempt that failed: how, as its stage saw it, and the task as it is now. */
const failedOutcome = Effect.fnUntraced(function* <E>(id: string, ended: Ended, cause: Cause.Cause<E>) {
  const tasks = yield* TaskRepository
  const failure = yield* failureAt(ended, cause)
  const task = Option.getOrUndefined(yield* tasks.get(id).pipe(Effect.option))
  return { _tag: "Failed", task, failure } satisfies TaskOutcome
})

/** Moves the task from todo to in_progress under this runner; none when it is not todo (any more). */
const claim = Effect.fnUntraced(function* (id: string) {
  const tasks = yield* TaskRepository
  const host = yield* HostFacts
  const runner = yield* host.runner
  return yield* tasks
    .transition(id, "run", {
      started_at: yield* nowIso,
      finished_at: null,
      error: null,
      runner: runner.id,
      host: runner.hostname
    })
    .pipe(
      withTaskLock(id, "run"), // not while a cleanup or another command acts on the task
      Effect.map(Option.some),
      Effect.catchTags({
        InvalidTransition: () => Effect.succeed(Option.none<TaskRecord>()),
        TaskNotFound: () => Effect.succeed(Option.none<TaskRecord>()),
        TaskBusy: () => Effect.succeed(Option.none<TaskRecord>())
      })
    )
})

/** The attempt in its own scope: the stages in turn, the failure recorded when the scope closes. */
const attempt = Effect.fnUntraced(function* (task: TaskRecord, options: RunOptions, ended: Ended) {
  const released = yield* Ref.make<Released>({ notes: [], containerGone: false })
  // the first finalizer runs last: after the container's and the worktree's releases
  yield* Effect.addFinalizer((exit) =>
    Exit.isSuccess(exit)
      ? Effect.void
      : Effect.flatMap(failureAt(ended, exit.cause), (failure) => recordFailure(task, options, failure, released))
  )
  const workspace = yield* setupStage(task, options, ended, released).pipe(atStage("setup", ended))
  yield* executeStage(task, workspace, options, released).pipe(atStage("execute", ended))
  return yield* successStage(task, options).pipe(atStage("success", ended))
}, Effect.scoped)
