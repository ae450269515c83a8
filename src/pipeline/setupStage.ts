/**
 * The setup stage: the task's worktree, fresh attempt dirs, the agent's config, its private git dir
 * and the task's isolation: everything the container will mount. The worktree is acquired with its
 * release (attemptReleases.ts) registered first.
 */
import { Effect, FileSystem, Path, Ref } from "effect"
import { InvalidInput } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { Docker } from "../adapters/Docker.js"
import { Git } from "../adapters/Git.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { confined, QueuePaths } from "../support/paths.js"
import { bootstrapAttempt, describeBootstrap, hostSetup } from "./agentConfig.js"
import { importAgentCommits } from "./agentCommits.js"
import { type Released, releaseWorktree } from "./attemptReleases.js"
import { type RunOptions, say, type Workspace } from "./attemptTypes.js"
import type { AttemptDirs } from "../adapters/containerBox.js"
import { prepareIsolation } from "./isolation.js"
import { guardNewWorktree, recordCreatedWorktree } from "./ownedWorktree.js"
import { sealAttemptDir, taskUser } from "./ownership.js"
import type { Ended } from "./stageBoundary.js"

/** The worktree, fresh attempt dirs, the agent config: everything the container will mount. */
export const setupStage = Effect.fn("runTask.setup")(function* (
  task: TaskRecord,
  options: RunOptions,
  ended: Ended,
  released: Ref.Ref<Released>
) {
  const git = yield* Git
  const docker = yield* Docker
  const tasks = yield* TaskRepository
  const stale = yield* docker.removeTaskContainers(task.id)
  if (stale.length > 0)
    yield* say(options, task, "setup", `removed stale container${stale.length > 1 ? "s" : ""} ${stale.join(", ")}`)
  const baseSha = yield* git.resolveCommit(task.repo, task.base)
  yield* acquireWorktree(task, options, baseSha, ended, released)
  const dirs = yield* writeAgentConfig(task, options)
  const box = yield* git.prepareBox(task.repo, task.worktree_path, task.branch, dirs.attemptDir)
  const isolation = yield* prepareIsolation(dirs.attemptDir, options.network ?? "isolated")
  const user = yield* taskUser(task.repo)
  yield* sealAttemptDir(user, dirs.attemptDir, [dirs.configDir, dirs.dataDir])
  yield* tasks.updateRuntime(task.id, {
    base_sha: baseSha,
    opencode_attempt_dir: dirs.attemptDir,
    opencode_config_dir: dirs.configDir,
    opencode_data_dir: dirs.dataDir
  })
  return { baseSha, dirs, user, box, isolation } satisfies Workspace
})

/**
 * The task's worktree: a new one on the task branch, or the existing one on a retry or with
 * --dirty-run. Released on failure with --cleanup-on-fail, once its changes are safe on the branch.
 */
const acquireWorktree = Effect.fnUntraced(function* (
  task: TaskRecord,
  options: RunOptions,
  baseSha: string,
  ended: Ended,
  released: Ref.Ref<Released>
) {
  const fs = yield* FileSystem.FileSystem
  const git = yield* Git
  const refuse = (reason: string) => Effect.fail(new InvalidInput({ reason }))
  const existing = (yield* git.listWorktrees(task.repo)).find((w) => w.path === task.worktree_path)
  const reuse = existing !== undefined && (options.dirtyRun || task.attempt > 1)
  if (existing && !reuse)
    return yield* refuse(`worktree ${task.worktree_path} already exists (run with --dirty-run to reuse it)`)
  if (existing && existing.branch !== task.branch)
    return yield* refuse(
      `worktree ${task.worktree_path} is on ${existing.branch ?? "a detached HEAD"}, not ${task.branch}`
    )
  if (!existing && (yield* fs.exists(task.worktree_path)))
    return yield* refuse(`${task.worktree_path} exists but is not a worktree of ${task.repo}`)
  const branchExists = reuse ? true : yield* git.branchExists(task.repo, task.branch)
  if (!reuse && branchExists && task.attempt === 1 && !options.dirtyRun)
    return yield* refuse(`branch ${task.branch} already exists in ${task.repo} (run with --dirty-run to work on it)`)

  // the release is registered before `git worktree add`, which stays interruptible (a hung git must not block Ctrl-C)
  yield* Effect.acquireRelease(Effect.succeed(task.worktree_path), (_, exit) =>
    releaseWorktree(task, options, ended, exit, released)
  )
  if (reuse) {
    yield* importAgentCommits(task) // the previous attempt's commits carry over
    return yield* say(options, task, "setup", `reusing worktree ${task.worktree_path}`)
  }
  yield* guardNewWorktree(task) // no link at (or, under the queue, on the way to) the new worktree
  yield* git.addWorktree(task.repo, task.worktree_path, task.branch, baseSha, { reuseBranch: branchExists })
  yield* recordCreatedWorktree(task, !branchExists) // what taskq made is all cleanup may remove
  yield* say(
    options,
    task,
    "setup",
    `worktree ${task.worktree_path} on ${task.branch} from ${task.base} (${baseSha.slice(0, 12)})`
  )
})

/** The attempt's own config and data dirs, and the agent's config bootstrapped into them. */
const writeAgentConfig = Effect.fnUntraced(function* (task: TaskRecord, options: RunOptions) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const q = yield* QueuePaths
  // confined to queue/opencode, no link on the way: the removal and chown below must not reach outside
  const attemptDir = yield* confined(q, q.opencodeDir, q.attemptDir(task.id, task.attempt))
  const dirs = { attemptDir, configDir: path.join(attemptDir, "config"), dataDir: path.join(attemptDir, "data") }
  yield* fs.remove(attemptDir, { recursive: true, force: true })
  yield* Effect.forEach([dirs.configDir, dirs.dataDir], (d) => fs.makeDirectory(d, { recursive: true }), {
    discard: true
  })
  const boot = yield* bootstrapAttempt(dirs, { ...hostSetup(options), template: q.agentConfigTemplate })
  yield* say(options, task, "setup", `agent setup: ${describeBootstrap(boot)}`)
  return dirs satisfies AttemptDirs
})
