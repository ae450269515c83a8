/** Failures of the OpenCode server's HTTP API and of the agent's work, with the facts of each. */
import { Schema } from "effect"
import { CliError } from "effect/cli"

/** The server answered a request with a status that is not 2xx. */
export class HttpFailed extends Schema.TaggedError<HttpFailed>()("HttpFailed", {
  method: Schema.String,
  path: Schema.String,
  status: Schema.Int,
  body: Schema.String
}) {
  override get message() {
    return `${this.method} ${this.path} -> HTTP ${this.status}: ${this.body.slice(0, 500)}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A request got no connection or no complete answer (refused, reset, DNS). */
export class ServerUnreachable extends Schema.TaggedError<ServerUnreachable>()("ServerUnreachable", {
  method: Schema.String,
  url: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message() {
    return `${this.method} ${this.url}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A request had no answer within its time limit. */
export class HttpTimeout extends Schema.TaggedError<HttpTimeout>()("HttpTimeout", {
  method: Schema.String,
  path: Schema.String,
  after: Schema.String
}) {
  override get message() {
    return `${this.method} ${this.path}: no answer within ${this.after}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The server answered 2xx with a body that is not what the API promises. */
export class UnexpectedPayload extends Schema.TaggedError<UnexpectedPayload>()("UnexpectedPayload", {
  method: Schema.String,
  path: Schema.String,
  reason: Schema.String,
  body: Schema.String
}) {
  override get message() {
    return `${this.method} ${this.path}: unexpected answer: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The server's health check never passed within the readiness time limit. */
export class ServerNotReady extends Schema.TaggedError<ServerNotReady>()("ServerNotReady", {
  url: Schema.String,
  after: Schema.String,
  /** What the last probe saw. */
  last: Schema.String
}) {
  override get message() {
    return `OpenCode at ${this.url} was not ready within ${this.after} (last: ${this.last})`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The server answered without its password: the worker image does not read TASKQ_ENV_FILE. */
export class ServerIgnoresPassword extends Schema.TaggedError<ServerIgnoresPassword>()("ServerIgnoresPassword", {
  url: Schema.String
}) {
  override get message() {
    return (
      `OpenCode at ${this.url} answers without its password: ` +
      `the worker image does not read TASKQ_ENV_FILE (rebuild it: taskq build-image)`
    )
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The event stream ended or broke while the session was still working: the server went away. */
export class ServerLost extends Schema.TaggedError<ServerLost>()("ServerLost", {
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message() {
    return this.reason
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The session reported an error (`session.error`), e.g. the model provider's HTTP error. */
export class AgentFailed extends Schema.TaggedError<AgentFailed>()("AgentFailed", {
  /** `<error name>: <message>` as the session reported it. */
  reason: Schema.String,
  /** The provider's HTTP status, when the error carries one. */
  statusCode: Schema.optional(Schema.Int)
}) {
  override get message() {
    return this.reason
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The agent went quiet (`idle`) or ran too long (`wall`); the session was aborted. */
export class AgentTimeout extends Schema.TaggedError<AgentTimeout>()("AgentTimeout", {
  kind: Schema.Literals(["idle", "wall"]),
  after: Schema.String
}) {
  override get message() {
    return this.kind === "idle"
      ? `the agent was idle for ${this.after} without finishing; session aborted`
      : `the agent did not finish within ${this.after}; session aborted`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The agent asked for a permission or a question and the policy is to fail; the session was aborted. */
export class AgentBlocked extends Schema.TaggedError<AgentBlocked>()("AgentBlocked", {
  kind: Schema.Literals(["permission", "question"]),
  what: Schema.String,
  requestId: Schema.String
}) {
  override get message() {
    return `the agent asked for ${this.what} and the policy is to fail; session aborted`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** What any request to the server can fail with. */
export type RequestError = HttpFailed | ServerUnreachable | HttpTimeout | UnexpectedPayload

/** What a prompt can fail with. */
export type PromptError = RequestError | ServerLost | AgentFailed | AgentTimeout | AgentBlocked
