/** Git's failures besides a failed command (`CommandFailed`): refusals with the facts of each. */
import { Schema } from "effect"
import { CliError } from "effect/cli"
import type { CommandFailed } from "../core/errors.js"

/** Git (or taskq's checks around it) refused: a tampered `.git` file, an unreadable path, a foreign ref. */
export class GitRefused extends Schema.TaggedError<GitRefused>()("GitRefused", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** `deleteBranch` refused: the branch has commits that are not on its base. */
export class BranchNotMerged extends Schema.TaggedError<BranchNotMerged>()("BranchNotMerged", {
  branch: Schema.String,
  base: Schema.String,
  ahead: Schema.Int
}) {
  override get message() {
    const commits = `${this.ahead} commit${this.ahead > 1 ? "s" : ""}`
    return `branch ${this.branch} has ${commits} not on ${this.base}; not deleting it (force to override)`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** What the Git adapter fails with. */
export type GitError = CommandFailed | GitRefused | BranchNotMerged
