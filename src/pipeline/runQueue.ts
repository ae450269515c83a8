/**
 * `taskq run`: one pass over the todo tasks, or one task by id (the polling loop is runner.ts).
 * Each is a stream of task outcomes, emitted as soon as each is known; the CLI consumes it.
 */
import { Effect, Stream } from "effect"
import { ExitCode, InvalidInput } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { orphanMessage, recoverOrphans } from "./recover.js"
import type { RunOptions, TaskOutcome } from "./runTask.js"
import { TaskRunner } from "./TaskRunner.js"

export interface QueueRunOptions extends RunOptions {
  readonly maxParallel: number
}

/** A task whose runner died, as an outcome. */
const orphaned = (t: TaskRecord): TaskOutcome => ({
  _tag: "Failed",
  task: t,
  failure: {
    stage: "runner",
    exitCode: ExitCode.Killed,
    stdout: "",
    stderr: "",
    message: orphanMessage(t),
    causeTag: "RunnerDied"
  }
})

/** Fails the tasks whose runner died (before looking for work); their outcomes. */
export const recover = recoverOrphans().pipe(Effect.map((orphans) => orphans.map(orphaned)))

/** The todo tasks, oldest first. */
export const todoIds = Effect.gen(function* () {
  const tasks = yield* (yield* TaskRepository).list
  return tasks
    .filter((t) => t.status === "todo")
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .map((t) => t.id)
})

/** One pass over the todo tasks with at most `maxParallel` at once. */
export const runOnce = (options: QueueRunOptions) =>
  Stream.unwrap(
    Effect.gen(function* () {
      const runner = yield* TaskRunner
      const recovered = yield* recover
      const ids = yield* todoIds
      if (ids.length > 0) yield* runner.preflight(options)
      return Stream.concat(
        Stream.fromIterable(recovered),
        Stream.fromIterable(ids).pipe(
          Stream.mapEffect((id) => runner.run(id, options), { concurrency: options.maxParallel, unordered: true })
        )
      )
    })
  )

/** The task `id`, which must be todo. */
export const runOne = (id: string, options: QueueRunOptions) =>
  Stream.unwrap(
    Effect.gen(function* () {
      const runner = yield* TaskRunner
      const recovered = yield* recover
      const task = yield* (yield* TaskRepository).get(id)
      if (task.status !== "todo")
        return yield* new InvalidInput({
          reason:
            `task ${id} is ${task.status}: only a todo task can run ` +
            `(taskq retry --id ${id} queues a failed one again)`
        })
      yield* runner.preflight(options)
      return Stream.concat(Stream.fromIterable(recovered), Stream.fromEffect(runner.run(id, options)))
    })
  )
