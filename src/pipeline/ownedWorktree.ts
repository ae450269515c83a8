/**
 * Ownership of worktrees: taskq records the worktree (and branch) it creates, and `cleanup` and
 * `--cleanup-on-fail` commit to and remove only that one. A worktree taskq did not create — your
 * own linked worktree, the main checkout, another live task's — is left exactly as it is.
 */
import { Effect, FileSystem, Option, Path } from "effect"
import { UnsafePath } from "../core/errors.js"
import { ownedFieldNames, type TaskRecord, type TaskStatus } from "../core/task.js"
import { Git } from "../adapters/Git.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { confined, isStrictlyInside, QueuePaths } from "../support/paths.js"
import { importAgentCommits } from "./agentCommits.js"

/**
 * Before `git worktree add`: the path holds nothing, not even a (dangling) link that git would
 * follow; under the queue, no component on the way is a link either.
 */
export const guardNewWorktree = Effect.fnUntraced(function* (task: TaskRecord) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const q = yield* QueuePaths
  if (isStrictlyInside(path, q.worktreesDir, task.worktree_path)) yield* confined(q, q.worktreesDir, task.worktree_path)
  const info = yield* fs.lstat(task.worktree_path).pipe(Effect.option)
  if (Option.isSome(info) && info.value.type === "SymbolicLink")
    return yield* new UnsafePath({
      path: task.worktree_path,
      reason: "it is a symbolic link; taskq does not create a worktree through a link"
    })
})

/** Records what setup just created: the worktree at the task's path, its admin dir, and the branch if new. */
export const recordCreatedWorktree = Effect.fnUntraced(function* (task: TaskRecord, branchCreated: boolean) {
  const git = yield* Git
  const admin = yield* git.adminDir(task.repo, task.worktree_path)
  return yield* (yield* TaskRepository).updateRuntime(task.id, {
    created_worktree: task.worktree_path,
    created_worktree_admin: admin,
    created_branch: branchCreated ? task.branch : null
  })
})

/** Statuses whose worktree is still in use: another task's cleanup must leave a shared path alone. */
const liveStatuses: ReadonlyArray<TaskStatus> = ["todo", "in_progress", "review", "failed"]

/** Why taskq may not touch the task's worktree, or undefined when it is the one taskq created and nobody else uses. */
export const notOwnedReason = Effect.fnUntraced(function* (task: TaskRecord) {
  const git = yield* Git
  const q = yield* QueuePaths
  const path = task.worktree_path
  // records written before ownership was recorded: the default path under the queue was taskq's
  const legacy = task.created_worktree === undefined && path === q.defaultWorktree(task.id)
  if (task.created_worktree !== path && !legacy) return `taskq did not create it`
  const worktrees = yield* git.listWorktrees(task.repo)
  if (worktrees[0]?.path === path) return `it is the main working tree of ${task.repo}`
  const entry = worktrees.find((w) => w.path === path)
  if (entry === undefined) return `it is not a worktree of ${task.repo}`
  if (entry.branch !== task.branch)
    return `it is on ${entry.branch ?? "a detached HEAD"}, not the task branch ${task.branch}`
  if (task.created_worktree_admin !== undefined) {
    const admin = yield* git.adminDir(task.repo, path)
    if (admin !== task.created_worktree_admin)
      return `its git admin dir is ${admin}, not ${task.created_worktree_admin} that taskq created`
  }
  const sharing = (yield* (yield* TaskRepository).list).find(
    (t) => t.id !== task.id && liveStatuses.includes(t.status) && t.worktree_path === path
  )
  if (sharing) return `task ${sharing.id} (${sharing.status}) uses it too`
  return undefined
})

export type Release =
  { readonly _tag: "Left"; readonly reason: string } | { readonly _tag: "Removed"; readonly saved: string | undefined }

/**
 * Commits the worktree's changes to the task branch and removes it — only when taskq created it
 * (see `notOwnedReason`); otherwise nothing is touched and the reason is returned.
 */
export const releaseWorktree = Effect.fnUntraced(function* (given: TaskRecord, message: string) {
  const git = yield* Git
  // what taskq recorded as created, as the store has it now (`given` may predate setup's record)
  const stored = yield* (yield* TaskRepository).get(given.id)
  const task: TaskRecord = {
    ...given,
    ...Object.fromEntries(ownedFieldNames.flatMap((k) => (stored[k] === undefined ? [] : [[k, stored[k]]])))
  }
  const reason = yield* notOwnedReason(task)
  if (reason !== undefined) return { _tag: "Left", reason } satisfies Release
  yield* importAgentCommits(task)
  const saved = yield* git.snapshot(task.repo, task.worktree_path, message)
  yield* git.removeWorktree(task.repo, task.worktree_path)
  yield* (yield* TaskRepository).updateRuntime(task.id, { created_worktree: null, created_worktree_admin: null })
  return { _tag: "Removed", saved } satisfies Release
})
