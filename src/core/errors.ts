/** Typed failures of taskq. Every error has a one-line `message` that the CLI prints as is. */
import { Schema } from "effect"
import { CliError } from "effect/cli"

const oneLine = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-1)[0] ?? ""

/** An external command or call made by a pipeline stage failed. */
export class StageError extends Schema.TaggedError<StageError>()("StageError", {
  stage: Schema.String,
  exitCode: Schema.Number,
  stdout: Schema.String,
  stderr: Schema.String
}) {
  override get message() {
    const detail = oneLine(this.stderr) || oneLine(this.stdout)
    return `stage ${this.stage} failed (exit ${this.exitCode})${detail ? `: ${detail}` : ""}`
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
