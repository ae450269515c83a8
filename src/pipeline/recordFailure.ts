/**
 * A failed attempt's outcome on record: the error report (`queue/errors/<id>.json`) and the task
 * moved to failed, its error line naming the stage and what the releases had to leave behind.
 */
import { Effect, Option, Ref } from "effect"
import type { TaskRecord } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { ErrorStore } from "../store/ErrorStore.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { noted, type Released } from "./attemptReleases.js"
import type { RunOptions } from "./attemptTypes.js"
import { type Failure, summary } from "./errorReport.js"

/** Writes the error report and moves the task to failed. Never fails: each step's own failure is noted instead. */
export const recordFailure = Effect.fnUntraced(function* (
  task: TaskRecord,
  options: RunOptions,
  failure: Failure,
  released: Ref.Ref<Released>
) {
  const tasks = yield* TaskRepository
  const errors = yield* ErrorStore
  const current = yield* tasks.get(task.id).pipe(noted(released, "reading the task"))
  if (Option.isNone(current) || current.value.status !== "in_progress") return
  const now = yield* nowIso
  yield* errors
    .write({
      task_id: task.id,
      attempt: task.attempt,
      stage: failure.stage,
      exit_code: failure.exitCode,
      stdout: failure.stdout,
      stderr: failure.stderr,
      message: failure.message,
      ...(failure.causeTag !== undefined ? { cause_tag: failure.causeTag } : {}),
      created_at: now
    })
    .pipe(noted(released, "writing the error report"))
  const { notes, containerGone } = yield* Ref.get(released)
  yield* tasks
    .transition(task.id, "fail", {
      error: [summary(failure), ...notes].join("; "),
      finished_at: now,
      runner: null,
      ...(containerGone ? { container: null, port: null } : {})
    })
    .pipe(noted(released, "recording the failure"))
  yield* options.progress(
    task.id,
    failure.stage,
    `failed: ${summary(failure)}${notes.length ? ` (${notes.join("; ")})` : ""}`
  )
})
