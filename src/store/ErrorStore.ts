/** The latest error report of each task: `queue/errors/<id>.json`. */
import { Context, Effect, FileSystem, Layer, Option, Path, Schema } from "effect"
import { ExitCode, QueueError, type UnsafePath } from "../core/errors.js"
import { confined, QueuePaths } from "../support/paths.js"
import { writeFileAtomic } from "./atomicFile.js"

export const ErrorReport = Schema.Struct({
  task_id: Schema.String,
  attempt: Schema.Int,
  stage: Schema.String,
  exit_code: Schema.Number,
  stdout: Schema.String,
  stderr: Schema.String,
  message: Schema.String,
  /** The `_tag` of the failure underneath (`ContainerDied`, `AgentTimeout`, `CommandFailed`, ...). */
  cause_tag: Schema.optionalKey(Schema.String),
  created_at: Schema.String
})
export type ErrorReport = typeof ErrorReport.Type
const ErrorReportJson = Schema.fromJsonString(ErrorReport)

/** The report of a task whose runner is gone (died on this host, or its lease expired on a shared queue). */
export const runnerGoneReport = (
  task: { readonly id: string; readonly attempt: number },
  message: string,
  causeTag: "RunnerDied" | "LeaseExpired",
  now: string
): ErrorReport => ({
  task_id: task.id,
  attempt: task.attempt,
  stage: "runner",
  exit_code: ExitCode.Killed,
  stdout: "",
  stderr: message,
  message,
  cause_tag: causeTag,
  created_at: now
})

export class ErrorStore extends Context.Service<
  ErrorStore,
  {
    readonly write: (report: ErrorReport) => Effect.Effect<string, QueueError | UnsafePath>
    readonly read: (id: string) => Effect.Effect<Option.Option<ErrorReport>, QueueError | UnsafePath>
    readonly remove: (id: string) => Effect.Effect<boolean, QueueError | UnsafePath>
  }
>()("taskq/store/ErrorStore") {
  static readonly layer = Layer.effect(
    ErrorStore,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const q = yield* QueuePaths
      const io = (file: string) => (e: { readonly message: string }) =>
        new QueueError({ path: file, reason: e.message })
      const provide = <A, E, R>(e: Effect.Effect<A, E, R>) =>
        e.pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, path))
      /** The report's path, checked: inside queue/errors, no link on the way. */
      const errorFile = (id: string) => provide(confined(q, q.errorsDir, q.errorFile(id)))
      return ErrorStore.of({
        write: Effect.fn("ErrorStore.write")(function* (report: ErrorReport) {
          const file = yield* errorFile(report.task_id)
          yield* fs.makeDirectory(q.errorsDir, { recursive: true }).pipe(Effect.mapError(io(file)))
          yield* provide(writeFileAtomic(file, JSON.stringify(report, null, 2) + "\n"))
          return file
        }),
        read: Effect.fn("ErrorStore.read")(function* (id: string) {
          const file = yield* errorFile(id)
          return yield* fs.readFileString(file).pipe(
            Effect.flatMap((text) => Schema.decodeUnknownEffect(ErrorReportJson)(text)),
            Effect.map(Option.some),
            Effect.catchReason("PlatformError", "NotFound", () => Effect.succeed(Option.none())),
            Effect.mapError(io(file))
          )
        }),
        remove: Effect.fn("ErrorStore.remove")(function* (id: string) {
          const file = yield* errorFile(id)
          const exists = yield* fs.exists(file).pipe(Effect.mapError(io(file)))
          if (exists) yield* fs.remove(file, { force: true }).pipe(Effect.mapError(io(file)))
          return exists
        })
      })
    })
  )
}
