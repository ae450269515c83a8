/** Docker failures, translated at the adapter edge from dockerode's errors. */
import { Schema } from "effect"
import { CliError } from "effect/cli"

/** No engine answers on the configured socket or host. */
export class DockerUnavailable extends Schema.TaggedError<DockerUnavailable>()("DockerUnavailable", {
  endpoint: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Docker engine not reachable at ${this.endpoint}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The engine answered, but refused or failed an operation. */
export class DockerError extends Schema.TaggedError<DockerError>()("DockerError", {
  operation: Schema.String,
  statusCode: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `docker ${this.operation} failed${this.statusCode > 0 ? ` (HTTP ${this.statusCode})` : ""}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

const unreachableCodes = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPERM"
])

interface ErrorLike {
  readonly code?: unknown
  readonly statusCode?: unknown
  readonly message?: unknown
  readonly json?: unknown
  readonly reason?: unknown
}

/** Classifies a dockerode error: unreachable engine, or a failed operation with its status code. */
export const translateDockerError =
  (endpoint: string, operation: string) =>
  (e: unknown): DockerUnavailable | DockerError => {
    const err = (typeof e === "object" && e !== null ? e : {}) as ErrorLike
    const text = typeof err.message === "string" ? err.message : String(e)
    if (typeof err.code === "string" && unreachableCodes.has(err.code))
      return new DockerUnavailable({ endpoint, reason: text })
    const json = err.json as { message?: unknown } | null | undefined
    const detail =
      typeof json?.message === "string" ? json.message : text.replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, "")
    return new DockerError({
      operation,
      statusCode: typeof err.statusCode === "number" ? err.statusCode : 0,
      reason: detail.trim()
    })
  }
