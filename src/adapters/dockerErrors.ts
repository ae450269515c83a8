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

/** A task container stopped (or vanished) when it should be running: at start, or while the agent worked. */
export class ContainerDied extends Schema.TaggedError<ContainerDied>()("ContainerDied", {
  container: Schema.String,
  /** `exited`, `dead`, ... or `gone` when the engine no longer knows the container. */
  status: Schema.String,
  exitCode: Schema.optional(Schema.Int),
  /** The kernel killed it for want of memory. */
  oomKilled: Schema.Boolean,
  /** How it stopped, for a person (`stopped (exited, exit 137)`, `was killed for running out of memory ...`). */
  how: Schema.String,
  /** The last lines of the container's output. */
  logsTail: Schema.String,
  during: Schema.Literals(["start", "work"])
}) {
  override get message() {
    if (this.during === "work") return `container ${this.container} ${this.how} while the agent was working`
    const tail = this.logsTail.trim().split("\n").slice(-3).join(" | ")
    return `container ${this.container} exited at once: it ${this.how}${tail ? `: ${tail}` : ""}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** `docker build` ran and failed (a step, the base image, the context). */
export class ImageBuildFailed extends Schema.TaggedError<ImageBuildFailed>()("ImageBuildFailed", {
  tag: Schema.String,
  reason: Schema.String,
  /** The build's progress output up to the failure. */
  output: Schema.String
}) {
  override get message() {
    return `building ${this.tag} failed: ${this.reason}`
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
