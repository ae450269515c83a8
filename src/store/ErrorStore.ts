/** The latest error report of each task: `queue/errors/<id>.json`. */
import { Context, Effect, FileSystem, Layer, Option, Path, Schema } from "effect"
import { QueueError } from "../core/errors.js"
import { QueuePaths } from "../support/paths.js"
import { writeFileAtomic } from "./atomicFile.js"

export const ErrorReport = Schema.Struct({
  task_id: Schema.String,
  attempt: Schema.Int,
  stage: Schema.String,
  exit_code: Schema.Number,
  stdout: Schema.String,
  stderr: Schema.String,
  message: Schema.String,
  created_at: Schema.String
})
export type ErrorReport = typeof ErrorReport.Type
const ErrorReportJson = Schema.fromJsonString(ErrorReport)

export class ErrorStore extends Context.Service<
  ErrorStore,
  {
    readonly write: (report: ErrorReport) => Effect.Effect<string, QueueError>
    readonly read: (id: string) => Effect.Effect<Option.Option<ErrorReport>, QueueError>
    readonly remove: (id: string) => Effect.Effect<boolean, QueueError>
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
      return ErrorStore.of({
        write: (report) => {
          const file = q.errorFile(report.task_id)
          return fs
            .makeDirectory(q.errorsDir, { recursive: true })
            .pipe(
              Effect.mapError(io(file)),
              Effect.andThen(writeFileAtomic(file, JSON.stringify(report, null, 2) + "\n")),
              Effect.as(file),
              Effect.provideService(FileSystem.FileSystem, fs),
              Effect.provideService(Path.Path, path)
            )
        },
        read: (id) => {
          const file = q.errorFile(id)
          return fs.readFileString(file).pipe(
            Effect.flatMap((text) => Schema.decodeUnknownEffect(ErrorReportJson)(text)),
            Effect.map(Option.some),
            Effect.catchReason("PlatformError", "NotFound", () => Effect.succeed(Option.none())),
            Effect.mapError(io(file))
          )
        },
        remove: (id) => {
          const file = q.errorFile(id)
          return fs.exists(file).pipe(
            Effect.tap((exists) => (exists ? fs.remove(file, { force: true }) : Effect.void)),
            Effect.mapError(io(file))
          )
        }
      })
    })
  )
}
