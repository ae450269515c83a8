/** Turns whatever ended a task attempt into the error report and the record's one-line summary. */
import { Cause } from "effect"
import { StageError } from "../core/errors.js"

export interface Failure {
  readonly stage: string
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  readonly message: string
}

const MAX = 64 * 1024
const clip = (s: string) => (s.length > MAX ? `…${s.slice(-MAX)}` : s)

/** The failure in a cause: a StageError as it is, an interruption, any other error or defect as stage `internal`. */
export const failureOf = <E>(cause: Cause.Cause<E>, stageHint: string): Failure => {
  if (Cause.hasInterruptsOnly(cause)) {
    return {
      stage: stageHint,
      exitCode: 130,
      stdout: "",
      stderr: "interrupted",
      message: `interrupted during ${stageHint}`
    }
  }
  const error = Cause.squash(cause)
  if (error instanceof StageError) {
    return {
      stage: error.stage,
      exitCode: error.exitCode,
      stdout: clip(error.stdout),
      stderr: clip(error.stderr),
      message: error.message
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  return {
    stage: stageHint,
    exitCode: 1,
    stdout: "",
    stderr: clip(error instanceof Error ? (error.stack ?? message) : message),
    message: `${stageHint}: ${message}`
  }
}

/** The record's `error` field: one line. */
export const summary = (f: Failure): string => f.message.replace(/\s*\n\s*/g, " ").slice(0, 300)
