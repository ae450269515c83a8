/** Typed failures of taskq. Every error has a one-line `message` that the CLI prints as is. */
import { Schema } from "effect"
import { CliError } from "effect/cli"

const oneLine = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-1)[0] ?? ""

/**
 * Every stage a task attempt can fail in, in one place. `setup`, `execute` and `success` are the
 * pipeline's own stages; the others name the step of `execute` that failed (`steps`: the task's
 * steps do not fit the server), or the recovery.
 */
export const Stage = Schema.Literals([
  "setup",
  "execute",
  "container",
  "server",
  "session",
  "steps",
  "agent",
  "agent-timeout",
  "agent-blocked",
  "success",
  "runner"
])
export type Stage = typeof Stage.Type

/** Exit codes that mean something, as the shell spells them. */
export const ExitCode = {
  /** A plain failure. */
  Failure: 1,
  /** A time limit was hit (`timeout(1)`). */
  Timeout: 124,
  /** A command could not be run at all (not found, not executable). */
  CannotRun: 127,
  /** SIGHUP: the terminal went away. */
  Hangup: 129,
  /** SIGINT / interruption (Ctrl-C). */
  Interrupted: 130,
  /** SIGKILL: the process was killed (the OOM killer, a dead runner). */
  Killed: 137
} as const

/** A failure's `_tag`, when it has one. */
export const tagOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "_tag" in e && typeof e._tag === "string" ? e._tag : undefined

/**
 * A task attempt failed in `stage`. Built only at the pipeline's boundary, from the adapter
 * failure in `cause` (whose `_tag` the error report keeps as `cause_tag`).
 */
export class StageError extends Schema.TaggedError<StageError>()("StageError", {
  stage: Stage,
  exitCode: Schema.Int,
  stdout: Schema.String,
  stderr: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message() {
    const detail = oneLine(this.stderr) || oneLine(this.stdout)
    return `stage ${this.stage} failed (exit ${this.exitCode})${detail ? `: ${detail}` : ""}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
  /** The `_tag` of the underlying failure, if it has one. */
  get causeTag(): string | undefined {
    return tagOf(this.cause)
  }
}

/** An external command exited with a code that is not a success, or could not be started (`cause`). */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  command: Schema.String,
  args: Schema.Array(Schema.String),
  exitCode: Schema.Int,
  stdout: Schema.String,
  stderr: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message() {
    const detail = oneLine(this.stderr) || oneLine(this.stdout)
    const what = [this.command, ...this.args.filter((a) => !a.startsWith("safe.directory"))].join(" ").slice(0, 160)
    return `${what} failed (exit ${this.exitCode})${detail ? `: ${detail}` : ""}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A move that the state machine does not allow from the task's current status. */
export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  id: Schema.String,
  status: Schema.String,
  move: Schema.String
}) {
  override get message() {
    return `task ${this.id} is ${this.status}: "${this.move}" is not allowed from ${this.status}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

export class TaskNotFound extends Schema.TaggedError<TaskNotFound>()("TaskNotFound", {
  id: Schema.String
}) {
  override get message() {
    return `no task with id ${this.id}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

export class DuplicateTask extends Schema.TaggedError<DuplicateTask>()("DuplicateTask", {
  id: Schema.String
}) {
  override get message() {
    return `a task with id ${this.id} already exists`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A task id that is not a safe external identifier. */
export class InvalidTaskId extends Schema.TaggedError<InvalidTaskId>()("InvalidTaskId", {
  id: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid task id ${JSON.stringify(this.id)}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A queue line that does not decode as a task record. The file is left untouched. */
export class RecordDecodeError extends Schema.TaggedError<RecordDecodeError>()("RecordDecodeError", {
  file: Schema.String,
  line: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `${this.file}:${this.line}: not a valid task record: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A task file (markdown with frontmatter) that cannot be used. */
export class TaskFileError extends Schema.TaggedError<TaskFileError>()("TaskFileError", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.file}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** Input that is wrong for a reason other than the above (missing repo, empty task, bad flags). */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** Reading or writing the queue failed (I/O, or the queue lock could not be had). */
export class QueueError extends Schema.TaggedError<QueueError>()("QueueError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `queue ${this.path}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** A path taskq derived or was given that it will not write, delete or read through (outside its folder, a link). */
export class UnsafePath extends Schema.TaggedError<UnsafePath>()("UnsafePath", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `refusing ${this.path}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}
