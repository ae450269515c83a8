/**
 * `Git.snapshot`: every change of a worktree committed to its branch, so removing the worktree
 * loses nothing, without entering a nested repository (whose config the agent could have written).
 */
import { Effect } from "effect"
import type { GitError } from "./gitErrors.js"
import { type GitRun, stdoutOf as out } from "./gitCommand.js"
import { gitlinkPaths, nestedRepos } from "./gitOutput.js"
import { DIFF_FLAGS } from "./gitSafety.js"

export interface SnapshotInput {
  /** git on the worktree, with the admin dir taskq created. */
  readonly run: GitRun
  /** A key of the user's own `~/.gitconfig`, read as a file ("" when unset). */
  readonly userConfig: (key: string) => Effect.Effect<string, GitError>
  readonly message: string
}

/** Commits every change in the worktree; the new commit, or undefined when there was nothing to commit. */
export const snapshot = Effect.fnUntraced(function* ({ run, userConfig, message }: SnapshotInput) {
  // git enters a tracked gitlink's directory (a nested repository) to see whether it changed, and
  // that nested git reads the agent's config (filters, fsmonitor): never look inside one
  if (out(yield* run(["status", "--porcelain", "--ignore-submodules=all"])) === "") return undefined
  const tracked = gitlinkPaths((yield* run(["ls-files", "--stage", "-z"])).stdout)
  const outside = tracked.map((p) => `:(top,literal,exclude)${p}`)
  // what cannot be added (a nested repository without commits) stays out, the rest goes in
  yield* run(["add", "-A", "--ignore-errors", "--", ":(top)", ...outside], { okExitCodes: [0, 1] })
  // nested repositories are the agent's own git dirs: never staged as gitlinks, which your
  // own `git status` would enter (and run their config)
  const staged = (yield* run(["diff", "--cached", "--raw", "--no-renames", "-z", ...DIFF_FLAGS])).stdout
  const gitlinks = nestedRepos(staged)
  if (gitlinks.length > 0) yield* run(["rm", "-q", "--cached", "--", ...gitlinks])
  if (out(yield* run(["diff", "--cached", "--name-only"])) === "") return undefined
  // the author configured for the repository (its config, else your ~/.gitconfig), else taskq's
  const configured = Effect.fnUntraced(function* (key: string) {
    const local = out(yield* run(["config", "--get", key], { okExitCodes: [0, 1] }))
    return local !== "" ? local : yield* userConfig(key)
  })
  const identity = [
    `user.name=${(yield* configured("user.name")) || "taskq"}`,
    `user.email=${(yield* configured("user.email")) || "taskq@localhost"}`
  ].flatMap((kv) => ["-c", kv])
  yield* run([...identity, "commit", "-q", "--no-verify", "-m", message])
  return out(yield* run(["rev-parse", "HEAD"]))
})
