/**
 * A stage's boundary: what failed inside becomes a `StageError` of that stage, and the first
 * failure to end the attempt is kept, so the record names the stage where it really went wrong.
 */
import { type Cause, Deferred, Effect, Exit } from "effect"
import type { Stage } from "../core/errors.js"
import { failureOf, type Failure, toStageError } from "./errorReport.js"

/** Where and how the attempt failed, as the boundary of the stage it failed in saw it. */
export type Ended = Deferred.Deferred<Failure>

/** A stage's boundary: its failures become StageErrors of `stage`, and the first to end the attempt is kept. */
export const atStage =
  (stage: Stage, ended: Ended) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    self.pipe(
      Effect.mapError((e) => toStageError(stage, e)),
      Effect.onExit((exit) =>
        Exit.isFailure(exit) ? Deferred.succeed(ended, failureOf(exit.cause, stage)).pipe(Effect.asVoid) : Effect.void
      )
    )

/** How the attempt failed: as its failed stage saw it, else (a failure before any stage) from `cause`. */
export const failureAt = <E>(ended: Ended, cause: Cause.Cause<E>) =>
  Effect.flatMap(Deferred.isDone(ended), (done) =>
    done ? Deferred.await(ended) : Effect.succeed(failureOf(cause, "setup"))
  )
