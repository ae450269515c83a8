/**
 * Brings the agent's commits on the task branch back from its private git dirs (one per attempt,
 * `queue/opencode/<id>/attempt-<n>/git`) into the user's repository, oldest attempt first. Called
 * when an attempt ends, before a retry and before cleanup commits and removes the worktree, so
 * retries carry the work over and nothing the agent committed is lost. Idempotent.
 */
import { Effect, FileSystem } from "effect"
import { QueueError } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { Git } from "../adapters/Git.js"
import { QueuePaths } from "../support/paths.js"

/** The tip the task branch was moved to, or undefined when there was nothing to bring back. */
export const importAgentCommits = Effect.fnUntraced(function* (
  task: Pick<TaskRecord, "id" | "repo" | "branch" | "worktree_path">
) {
  const fs = yield* FileSystem.FileSystem
  const git = yield* Git
  const q = yield* QueuePaths
  const dir = q.taskOpencodeDir(task.id)
  const io = (e: { readonly message: string }) => new QueueError({ path: dir, reason: e.message })
  if (!(yield* fs.exists(task.worktree_path).pipe(Effect.mapError(io)))) return undefined
  if (!(yield* fs.exists(dir).pipe(Effect.mapError(io)))) return undefined
  const attempts = (yield* fs.readDirectory(dir).pipe(Effect.mapError(io)))
    .map((name) => /^attempt-(\d+)$/.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
  let tip: string | undefined
  for (const n of attempts) {
    const moved = yield* git.importBox(task.repo, task.worktree_path, task.branch, `${dir}/attempt-${n}`)
    if (moved !== undefined) tip = moved
  }
  return tip
})
