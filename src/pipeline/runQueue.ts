/** `taskq run`: one pass over the todo tasks, one task by id, or a polling loop. */
import { Console, Duration, Effect, FiberSet, Schedule, Semaphore } from "effect"
import { InvalidInput } from "../core/errors.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { preflight } from "./preflight.js"
import { recoverOrphans } from "./recover.js"
import { type RunOptions, runTask, type TaskOutcome } from "./runTask.js"

export interface QueueRunOptions extends RunOptions {
  readonly maxParallel: number
  /** Called with each task's outcome as soon as it is known. */
  readonly report: (outcome: TaskOutcome) => Effect.Effect<void>
}

/** Reports tasks whose runner died as failed, before looking for work. */
export const recover = (options: QueueRunOptions) =>
  recoverOrphans().pipe(
    Effect.flatMap((orphans) =>
      Effect.forEach(
        orphans,
        (t) =>
          options.report({
            _tag: "Failed",
            task: t,
            failure: {
              stage: "runner",
              exitCode: 137,
              stdout: "",
              stderr: "",
              message: `its runner (${t.runner}) stopped without recording an outcome`
            }
          }),
        { discard: true }
      )
    )
  )

/** The todo tasks, oldest first. */
export const todoIds = Effect.gen(function* () {
  const tasks = yield* (yield* TaskRepository).list
  return tasks
    .filter((t) => t.status === "todo")
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .map((t) => t.id)
})

const runReported = (id: string, options: QueueRunOptions) => runTask(id, options).pipe(Effect.tap(options.report))

/** One pass over the todo tasks with at most `maxParallel` at once. */
export const runOnce = Effect.fn("runOnce")(function* (options: QueueRunOptions) {
  yield* recover(options)
  const ids = yield* todoIds
  if (ids.length > 0) yield* preflight(options)
  return yield* Effect.forEach(ids, (id) => runReported(id, options), { concurrency: options.maxParallel })
})

/** The task `id`, which must be todo. */
export const runOne = Effect.fn("runOne")(function* (id: string, options: QueueRunOptions) {
  yield* recover(options)
  const task = yield* (yield* TaskRepository).get(id)
  if (task.status !== "todo")
    return yield* new InvalidInput({
      reason: `task ${id} is ${task.status}: only a todo task can run (taskq retry --id ${id} queues a failed one again)`
    })
  yield* preflight(options)
  return [yield* runReported(id, options)]
})

/**
 * Polls every `every` for todo tasks and runs each (at most `maxParallel` at once) as soon as it
 * appears, including tasks added while others run. Runs until interrupted; interruption stops the
 * tasks in flight, each recorded as failed by its own finalizer before this returns.
 */
export const runPolling = (every: Duration.Input, options: QueueRunOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const running = yield* FiberSet.make<void, never>()
      const slots = yield* Semaphore.make(options.maxParallel)
      const inFlight = new Set<string>()
      const tick = Effect.gen(function* () {
        yield* recover(options)
        const ids = (yield* todoIds).filter((id) => !inFlight.has(id))
        if (ids.length > 0) yield* preflight(options) // a machine-wide fault: the tick claims nothing
        for (const id of ids) {
          inFlight.add(id)
          yield* FiberSet.run(running)(
            runReported(id, options).pipe(
              slots.withPermits(1),
              Effect.catch((e) => Console.error(`taskq: ${id}: ${e.message}`)),
              Effect.asVoid,
              Effect.ensuring(Effect.sync(() => inFlight.delete(id)))
            )
          )
        }
      }).pipe(Effect.catch((e) => Console.error(`taskq: poll: ${e.message}`))) // one bad tick must not end the loop
      return yield* tick.pipe(Effect.repeat(Schedule.spaced(every)), Effect.andThen(Effect.never))
    })
  )
