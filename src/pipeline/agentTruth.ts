/**
 * Reports that tell the truth about a failed agent: when the agent stops working (idle, or an error
 * from its session), what OpenCode itself reported as failing — the assistant message's error, or
 * the provider error it logged while retrying — goes into the report with the container's log tail.
 * "Idle" is said only when nothing failed.
 */
import { Effect } from "effect"
import { StageError } from "../core/errors.js"
import { Docker } from "../adapters/Docker.js"
import { OpenCode, type ServerRef } from "../adapters/OpenCode.js"

/** Errors that taskq's own abort of the session causes. */
const ours = (text: string) => /abort/i.test(text)

/** An OpenCode log line's quoted value of `key` (`key="…"` with `\"` escapes), if the line has it. */
const quoted = (line: string, key: string): string | undefined => {
  const at = line.indexOf(` ${key}="`)
  if (at < 0) return undefined
  let out = ""
  for (let i = at + key.length + 3; i < line.length; i++) {
    const c = line[i]
    if (c === "\\" && i + 1 < line.length) {
      const n = line[++i]
      out += n === "n" ? " " : (n ?? "")
    } else if (c === '"') return out
    else out += c
  }
  return out
}

/**
 * The last error OpenCode logged (`--print-logs`): the `error.error` or `error` of its last
 * `level=ERROR` line, first line only (no stack).
 */
export const lastLoggedError = (logs: string): string | undefined => {
  const lines = logs.split("\n").filter((l) => l.includes("level=ERROR"))
  for (const line of lines.reverse()) {
    const value = quoted(line, "error.error") ?? quoted(line, "error")
    // the abort taskq sent after the timeout is not why the agent stopped
    if (value !== undefined && value.trim() !== "" && !ours(value)) return value.split(/ {4}at /)[0]?.trim()
  }
  return undefined
}

/** What is known about why the agent stopped. */
export interface AgentTruth {
  /** The assistant message's error as OpenCode recorded it (`APIError: …`), with the provider's status. */
  readonly messageError?: { readonly text: string; readonly statusCode?: number | undefined } | undefined
  /** The last error OpenCode logged (e.g. each failed try while it retried a provider's 500). */
  readonly loggedError?: string | undefined
  /** The container's last log lines. */
  readonly logsTail: string
}

/**
 * The one line a person reads for an agent that went idle: the provider's error when there was one
 * (`idle` alone would hide it), else the idle timeout itself.
 */
export const explainIdle = (idle: string, truth: AgentTruth): string | undefined => {
  const error = truth.messageError?.text ?? truth.loggedError
  if (error === undefined) return undefined
  const status = truth.messageError?.statusCode !== undefined ? ` (HTTP ${truth.messageError.statusCode})` : ""
  return (
    `the agent's model provider failed: ${error}${status}; ` +
    `OpenCode kept retrying and the session went quiet (${idle})`
  )
}

const LOG_LINES = 200

/** Reads what the agent's server and container say about the failure; never fails. */
export const agentTruth = Effect.fnUntraced(function* (server: ServerRef, sessionId: string, container: string) {
  const docker = yield* Docker
  const opencode = yield* OpenCode
  const logsTail = yield* docker.tail(container, LOG_LINES).pipe(Effect.orElseSucceed(() => ""))
  const messages = yield* opencode.messages(server, sessionId).pipe(Effect.orElseSucceed(() => []))
  const failed = messages
    .filter((m) => m.info.role === "assistant" && m.info.error !== undefined)
    .map((m) => {
      const e = m.info.error ?? {}
      return `${e.name ?? "Error"}: ${e.data?.message ?? ""}`.trim()
    })
    .filter((text) => !ours(text))
  const last = failed[failed.length - 1]
  const truth: AgentTruth = {
    ...(last !== undefined ? { messageError: { text: last } } : {}),
    loggedError: lastLoggedError(logsTail),
    logsTail
  }
  return truth
})

/** The agent went quiet (OpenCode's idle timeout), as the prompt reports it. */
const isIdle = (e: StageError) => e.stage === "agent-timeout" && e.stderr.includes("idle")
/** The session reported an error (not a lost server, which is the container's story). */
const isAgentError = (e: StageError) =>
  e.stage === "agent" && e.causeTag !== "ServerLost" && e.causeTag !== "ServerUnreachable"

/**
 * Hook for the prompt: an idle timeout that hid a provider failure becomes that failure (stage
 * `agent`); any agent failure gets the container's log tail as its stdout.
 */
export const withAgentTruth =
  (server: ServerRef, sessionId: string, container: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    self.pipe(
      Effect.catchIf(
        (e): e is E & StageError => e instanceof StageError && (isIdle(e) || isAgentError(e)),
        (e) =>
          Effect.flatMap(agentTruth(server, sessionId, container), (truth) => {
            const explained = isIdle(e) ? explainIdle(e.stderr, truth) : undefined
            return Effect.fail(
              new StageError({
                stage: explained !== undefined ? "agent" : e.stage,
                exitCode: explained !== undefined ? (truth.messageError?.statusCode ?? 1) : e.exitCode,
                stdout: truth.logsTail || e.stdout,
                stderr: explained ?? e.stderr,
                cause: e.cause
              })
            )
          })
      )
    )
