/**
 * Who owns what taskq makes for a task: the attempt dir is private (0700) and, when taskq runs as
 * root for another user's repository, handed to that user. taskq only ever chowns what it has just
 * created itself (a fresh attempt dir, before any container sees it); the worktree is created as
 * the repository's owner by Git.addWorktree, never chowned afterwards.
 */
import { Effect, FileSystem } from "effect"
import { Git } from "../adapters/Git.js"
import { runCommand } from "../support/process.js"
import { type ContainerUser, containerUser, currentGid, currentUid } from "../support/user.js"

/** The user the task's container runs as (see `containerUser`). */
export const taskUser = Effect.fnUntraced(function* (repo: string) {
  const owner = yield* (yield* Git).owner(repo)
  return containerUser({ uid: currentUid(), gid: currentGid() }, owner)
})

/**
 * Makes the fresh attempt dir's folders private (0700) and, when taskq runs as another uid than
 * the container's, hands the whole fresh tree (taskq created all of it) to the container's user.
 */
export const sealAttemptDir = Effect.fnUntraced(function* (
  user: ContainerUser,
  attemptDir: string,
  dirs: ReadonlyArray<string>
) {
  const fs = yield* FileSystem.FileSystem
  yield* Effect.forEach([attemptDir, ...dirs], (d) => fs.chmod(d, 0o700), { discard: true })
  if (user.uid !== currentUid()) yield* runCommand("chown", ["-R", "-P", `${user.uid}:${user.gid}`, "--", attemptDir])
})
