/**
 * The pipeline's boundary for failures: an adapter's typed failure becomes a `StageError` of the
 * stage it happened in, and whatever ended an attempt becomes the error report and the record's
 * one-line summary.
 */
import { Cause } from "effect"
import { ExitCode, type Stage, StageError, tagOf } from "../core/errors.js"

export interface Failure {
  readonly stage: Stage
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  readonly message: string
  /** The `_tag` of the underlying failure (`ContainerDied`, `AgentTimeout`, `CommandFailed`, ...). */
  readonly causeTag?: string
}

const MAX = 64 * 1024
const clip = (s: string) => (s.length > MAX ? `…${s.slice(-MAX)}` : s)

interface Facts {
  readonly stage?: Stage
  readonly exitCode: number
  readonly stdout?: string
}

/** What an adapter failure says about the stage (some failures name their own) and the exit code. */
const factsOf = (e: unknown): Facts => {
  const f = (typeof e === "object" && e !== null ? e : {}) as Record<string, unknown>
  const num = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : undefined)
  const str = (v: unknown) => (typeof v === "string" ? v : undefined)
  switch (tagOf(e)) {
    case "CommandFailed":
      return { exitCode: num(f.exitCode) ?? ExitCode.Failure, stdout: str(f.stdout) ?? "" }
    case "ContainerDied":
      return { stage: "container", exitCode: num(f.exitCode) ?? ExitCode.Failure, stdout: str(f.logsTail) ?? "" }
    case "DockerError":
      return { exitCode: num(f.statusCode) || ExitCode.Failure }
    case "HttpFailed":
      return { exitCode: num(f.status) ?? ExitCode.Failure }
    case "HttpTimeout":
      return { exitCode: ExitCode.Timeout }
    case "ServerNotReady":
      return { stage: "server", exitCode: ExitCode.Timeout }
    case "AgentFailed":
      return { stage: "agent", exitCode: num(f.statusCode) ?? ExitCode.Failure }
    case "AgentTimeout":
      return { stage: "agent-timeout", exitCode: ExitCode.Timeout }
    case "AgentBlocked":
      return { stage: "agent-blocked", exitCode: ExitCode.Failure }
    default:
      return { exitCode: ExitCode.Failure }
  }
}

/** The StageError of a failure in `stage`: the facts of the adapter's failure, which stays as its cause. */
export const toStageError = (stage: Stage, e: unknown): StageError => {
  if (e instanceof StageError) return e
  const facts = factsOf(e)
  const stderr =
    tagOf(e) === "CommandFailed" && typeof (e as { stderr?: unknown }).stderr === "string"
      ? (e as { stderr: string }).stderr || String((e as Error).message)
      : e instanceof Error
        ? e.message
        : String(e)
  return new StageError({
    stage: facts.stage ?? stage,
    exitCode: facts.exitCode,
    stdout: facts.stdout ?? "",
    stderr,
    cause: e
  })
}

/** The failure in a cause: a StageError as it is, an interruption, any other error or defect as in `stage`. */
export const failureOf = <E>(cause: Cause.Cause<E>, stage: Stage): Failure => {
  if (Cause.hasInterruptsOnly(cause)) {
    return {
      stage,
      exitCode: ExitCode.Interrupted,
      stdout: "",
      stderr: "interrupted",
      message: `interrupted during ${stage}`,
      causeTag: "Interrupted"
    }
  }
  const error = Cause.squash(cause)
  if (error instanceof StageError) {
    const causeTag = error.causeTag
    return {
      stage: error.stage,
      exitCode: error.exitCode,
      stdout: clip(error.stdout),
      stderr: clip(error.stderr),
      message: error.message,
      ...(causeTag !== undefined ? { causeTag } : {})
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  return {
    stage,
    exitCode: ExitCode.Failure,
    stdout: "",
    stderr: clip(error instanceof Error ? (error.stack ?? message) : message),
    message: `${stage}: ${message}`,
    causeTag: tagOf(error) ?? "Defect"
  }
}

/** The record's `error` field: one line. */
export const summary = (f: Failure): string => f.message.replace(/\s*\n\s*/g, " ").slice(0, 300)
