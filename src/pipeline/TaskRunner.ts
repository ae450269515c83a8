/**
 * Runs task attempts (`runTask`) and the checks before any claim (`preflight`), behind a service
 * so the queue's loops are tested with a mock runner (`Layer.mock`) on the TestClock.
 */
import { Context, Effect, Layer } from "effect"
import { preflight } from "./preflight.js"
import { runTask, type RunOptions, type TaskOutcome } from "./runTask.js"

type RunTask = ReturnType<typeof runTask>
type Preflight = ReturnType<typeof preflight>
/** What running a task can fail with: only the store (a task's own failure is an outcome). */
export type TaskRunError = Effect.Error<RunTask>
export type PreflightError = Effect.Error<Preflight>

export class TaskRunner extends Context.Service<
  TaskRunner,
  {
    /** Machine-wide checks (engine, image, model) before claiming anything; a failure claims nothing. */
    readonly preflight: (options: RunOptions) => Effect.Effect<void, PreflightError>
    /** Claims the todo task `id` and runs one attempt; returns its outcome. */
    readonly run: (id: string, options: RunOptions) => Effect.Effect<TaskOutcome, TaskRunError>
  }
>()("taskq/pipeline/TaskRunner") {
  /** `preflight` and `runTask` with the services of the layer it is built in. */
  static readonly layer = Layer.effect(
    TaskRunner,
    Effect.gen(function* () {
      const services = yield* Effect.context<Effect.Services<RunTask> | Effect.Services<Preflight>>()
      return TaskRunner.of({
        preflight: Effect.fn("TaskRunner.preflight")(function* (options: RunOptions) {
          return yield* preflight(options).pipe(Effect.provideContext(services))
        }),
        run: Effect.fn("TaskRunner.run")(function* (id: string, options: RunOptions) {
          return yield* runTask(id, options).pipe(Effect.provideContext(services))
        })
      })
    })
  )
}
