/**
 * Repositories by URL (`file://`, `ssh://`, `https://`, `git://`): a runner keeps a local bare mirror
 * per URL under `<queue>/mirrors/` (fetched before each attempt, one fetch per mirror at a time, also
 * across processes), makes the task's worktree from it, and at review pushes the task branch back to
 * the URL with hooks disabled, so a reviewer anywhere can fetch it. Host git never runs hooks here.
 */
import { Effect, FileSystem, Path, Semaphore } from "effect"
import { createHash } from "node:crypto"
import { InvalidInput, StageError } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { Git } from "../adapters/Git.js"
import { acquireQueueLock } from "../store/queueLock.js"
import { QueuePaths } from "../support/paths.js"
import { runCommand } from "../support/process.js"

const URL_RE = /^(file|ssh|https?|git):\/\/./

/** Whether a task's `repo` is a git URL rather than a local path. */
export const isRepoUrl = (repo: string): boolean => URL_RE.test(repo)

const NO_HOOKS = ["-c", "core.hooksPath=/dev/null", "-c", "safe.directory=*"]
const git = (dir: string, args: ReadonlyArray<string>, okExitCodes?: ReadonlyArray<number>) =>
  runCommand("git", [...NO_HOOKS, "-C", dir, ...args], {
    env: { GIT_TERMINAL_PROMPT: "0" },
    ...(okExitCodes ? { okExitCodes } : {})
  })

const mirrorsDir = Effect.gen(function* () {
  return `${(yield* QueuePaths).root}/mirrors`
})
/** The mirror folder of `url`. */
export const mirrorPath = (url: string) =>
  Effect.map(mirrorsDir, (dir) => `${dir}/${createHash("sha256").update(url).digest("hex").slice(0, 16)}.git`)

const locks = new Map<string, Semaphore.Semaphore>()
const inProcess = (key: string) => {
  let sem = locks.get(key)
  if (!sem) {
    sem = Semaphore.makeUnsafe(1)
    locks.set(key, sem)
  }
  return sem.withPermits(1)
}

/** The up-to-date mirror of `url`: created when missing, fetched (`refs/remotes/origin/*`) now. */
export const syncMirror = Effect.fn("syncMirror")(function* (url: string) {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* mirrorPath(url)
  const setup = (e: { readonly message: string }) =>
    new StageError({ stage: "setup", exitCode: 1, stdout: "", stderr: e.message })
  yield* Effect.scoped(
    Effect.gen(function* () {
      yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(setup))
      yield* acquireQueueLock(`${dir}/taskq-fetch`).pipe(Effect.mapError(setup))
      if (!(yield* fs.exists(`${dir}/HEAD`).pipe(Effect.mapError(setup)))) {
        yield* git(dir, ["init", "-q", "--bare"])
        yield* git(dir, ["remote", "add", "origin", url])
      }
      // remote branches under refs/remotes: a task branch checked out in a worktree is never overwritten
      yield* git(dir, ["fetch", "-q", "--prune", "--no-tags", "origin", "+refs/heads/*:refs/remotes/origin/*"])
    })
  ).pipe(inProcess(dir))
  return dir
})

/**
 * The task as this runner works on it: for a URL repo, `repo` is the fresh local mirror, `base` the
 * mirror's copy of the remote branch and the worktree under this runner's queue dir. A local repo's
 * task is returned as it is.
 */
export const localTask = Effect.fn("localTask")(function* (task: TaskRecord) {
  if (!isRepoUrl(task.repo)) return task
  const q = yield* QueuePaths
  const mirror = yield* syncMirror(task.repo)
  const remoteBase = `refs/remotes/origin/${task.base}`
  const known = yield* git(mirror, ["show-ref", "--verify", "--quiet", remoteBase], [0, 1])
  return {
    ...task,
    repo: mirror,
    base: known.exitCode === 0 ? remoteBase : task.base,
    worktree_path: q.defaultWorktree(task.id)
  }
})

/** The URL a local mirror fetches from, when `repo` is one of this runner's mirrors. */
const originOf = Effect.fnUntraced(function* (repo: string) {
  const path = yield* Path.Path
  const dir = yield* mirrorsDir
  if (path.dirname(repo) !== dir) return undefined
  const r = yield* git(repo, ["config", "--get", "remote.origin.url"], [0, 1])
  return r.exitCode === 0 ? r.stdout.trim() : undefined
})

/**
 * For a task on a URL repo (`task` as `localTask` made it): commits what the agent left in the
 * worktree and pushes the task branch to the URL (hooks disabled). Nothing for a local repo.
 */
export const publishBranch = Effect.fn("publishBranch")(function* (task: TaskRecord) {
  const url = yield* originOf(task.repo)
  if (url === undefined) return undefined
  // what the agent left uncommitted goes on the branch too (through the Git adapter's hardened git)
  yield* (yield* Git).snapshot(task.repo, task.worktree_path, `taskq: work of ${task.id} attempt ${task.attempt}`)
  yield* git(task.repo, ["push", "-q", "--no-verify", "origin", `+refs/heads/${task.branch}:refs/heads/${task.branch}`])
  return url
})

/** Deletes the task branch at the URL (cleanup --delete-remote-branch); false when it was not there. */
export const deleteRemoteBranch = Effect.fn("deleteRemoteBranch")(function* (url: string, branch: string) {
  const mirror = yield* syncMirror(url)
  const there = yield* git(mirror, ["show-ref", "--verify", "--quiet", `refs/remotes/origin/${branch}`], [0, 1])
  if (there.exitCode !== 0) return false
  yield* git(mirror, ["push", "-q", "--no-verify", "origin", "--delete", branch])
  return true
})

/** The default branch of the repository at `url` (what its HEAD points to). */
export const remoteDefaultBranch = Effect.fn("remoteDefaultBranch")(function* (url: string) {
  const r = yield* runCommand("git", [...NO_HOOKS, "ls-remote", "--symref", "--end-of-options", url, "HEAD"], {
    env: { GIT_TERMINAL_PROMPT: "0" }
  }).pipe(
    Effect.mapError(
      (e) => new InvalidInput({ reason: `cannot read the repository ${url}: ${e.stderr.trim() || e.message}` })
    )
  )
  const m = r.stdout.match(/^ref: refs\/heads\/(\S+)\s+HEAD$/m)
  if (!m?.[1]) return yield* new InvalidInput({ reason: `${url} has no default branch: pass --base` })
  return m[1]
})

/** The task's local repo and worktree as `localTask` made them, without fetching (cleanup, review). */
export const localPaths = Effect.fn("localPaths")(function* (task: TaskRecord) {
  if (!isRepoUrl(task.repo)) return task
  const q = yield* QueuePaths
  return { ...task, repo: yield* mirrorPath(task.repo), worktree_path: q.defaultWorktree(task.id) }
})

/** `cleanup --delete-remote-branch`: also deletes the task branch at the task's URL. */
export const withRemoteBranch = Effect.fnUntraced(function* <R extends { readonly actions: ReadonlyArray<string> }>(
  task: TaskRecord,
  result: R,
  deleteRemote: boolean | undefined
) {
  if (!deleteRemote || !isRepoUrl(task.repo)) return result
  const deleted = yield* deleteRemoteBranch(task.repo, task.branch)
  return deleted ? { ...result, actions: [...result.actions, `deleted ${task.branch} at ${task.repo}`] } : result
})
