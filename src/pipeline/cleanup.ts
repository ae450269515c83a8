/**
 * `taskq cleanup`: containers, worktree, agent state, error report and runtime fields of finished
 * tasks, idempotently. The worktree's uncommitted changes are committed to the task branch first,
 * so removing it loses no work; the task markdown and the branch stay.
 */
import { Effect, FileSystem, Option } from "effect"
import { InvalidInput, QueueError } from "../core/errors.js"
import type { TaskRecord, TaskStatus } from "../core/task.js"
import { Docker } from "../adapters/Docker.js"
import { ErrorStore } from "../store/ErrorStore.js"
import { clearRuntimePatch, TaskRepository } from "../store/TaskRepository.js"
import { withFreshTask } from "../store/taskLock.js"
import { confined, QueuePaths } from "../support/paths.js"
import { releaseWorktree } from "./ownedWorktree.js"
import { localPaths, withRemoteBranch } from "./mirror.js"

export interface CleanupOptions {
  readonly statuses: ReadonlyArray<TaskStatus>
  readonly id: Option.Option<string>
  readonly keepWorktree: boolean
  /** Also delete the task branch at a URL repo (by default it stays there for reviewers). */
  readonly deleteRemoteBranch?: boolean
}

export interface CleanupResult {
  readonly id: string
  readonly actions: ReadonlyArray<string>
}

/** Statuses `cleanup --id` accepts: a task under review or in flight keeps its runtime. */
const cleanable: ReadonlyArray<TaskStatus> = ["done", "cancelled", "failed"]

export const cleanupTasks = Effect.fn("cleanupTasks")(function* (options: CleanupOptions) {
  const tasks = yield* TaskRepository
  let chosen: ReadonlyArray<TaskRecord>
  if (Option.isSome(options.id)) {
    const task = yield* tasks.get(options.id.value)
    if (!cleanable.includes(task.status)) {
      return yield* new InvalidInput({
        reason: `task ${task.id} is ${task.status}: cleanup takes done, cancelled or failed tasks`
      })
    }
    chosen = [task]
  } else {
    chosen = (yield* tasks.list).filter((t) => options.statuses.includes(t.status))
  }
  // under the task's lock, on the record as it is then: a retry or run may have moved it meanwhile
  const accepts = Option.isSome(options.id) ? cleanable : options.statuses
  return yield* Effect.forEach(chosen, (t) =>
    withFreshTask(
      t.id,
      "cleanup",
      (fresh) => accepts.includes(fresh.status),
      (fresh) =>
        cleanupTask(fresh, options.keepWorktree).pipe(
          Effect.flatMap((r) => withRemoteBranch(fresh, r, options.deleteRemoteBranch)) // URL repos (mirror.ts)
        ),
      (fresh) =>
        Option.isSome(options.id)
          ? Effect.fail(
              new InvalidInput({
                reason: `task ${fresh.id} is ${fresh.status}: cleanup takes done, cancelled or failed tasks`
              })
            )
          : Effect.succeed({ id: fresh.id, actions: [] } satisfies CleanupResult)
    )
  )
})

export const cleanupTask = Effect.fnUntraced(function* (record: TaskRecord, keepWorktree: boolean) {
  const task = yield* localPaths(record) // a URL repo's worktree is in this runner's mirror
  const fs = yield* FileSystem.FileSystem
  const docker = yield* Docker
  const errors = yield* ErrorStore
  const tasks = yield* TaskRepository
  const q = yield* QueuePaths
  const actions: Array<string> = []
  const io = (path: string) => (e: { readonly message: string }) => new QueueError({ path, reason: e.message })

  const removed = yield* docker.removeTaskContainers(task.id)
  if (removed.length > 0) actions.push(`removed container${removed.length > 1 ? "s" : ""} ${removed.join(", ")}`)

  if (!keepWorktree && (yield* fs.exists(task.worktree_path).pipe(Effect.mapError(io(task.worktree_path))))) {
    // only the worktree taskq created is committed to and removed; anything else stays as it is
    const released = yield* releaseWorktree(task, `taskq: work of ${task.id} (attempt ${task.attempt}, ${task.status})`)
    if (released._tag === "Left") actions.push(`left ${task.worktree_path} in place: ${released.reason}`)
    else {
      if (released.saved !== undefined)
        actions.push(`committed the worktree's changes to ${task.branch} (${released.saved.slice(0, 12)})`)
      actions.push(`removed worktree ${task.worktree_path}`)
    }
  }
  // confined to queue/opencode, no link on the way: a link there is refused, its target untouched
  const stateDir = yield* confined(q, q.opencodeDir, q.taskOpencodeDir(task.id))
  if (yield* fs.exists(stateDir).pipe(Effect.mapError(io(stateDir)))) {
    yield* fs.remove(stateDir, { recursive: true, force: true }).pipe(Effect.mapError(io(stateDir)))
    actions.push(`removed agent state ${stateDir}`)
  }
  if (yield* errors.remove(task.id)) actions.push("removed the error report")
  const hasRuntime = Object.keys(clearRuntimePatch).some((k) => k in task)
  if (hasRuntime) {
    yield* tasks.updateRuntime(task.id, clearRuntimePatch)
    actions.push("cleared runtime fields")
  }
  return { id: task.id, actions } satisfies CleanupResult
})

/** What of a task's runtime is still there: its containers, the worktree taskq made, its agent state. */
const runtimeLeft = Effect.fnUntraced(function* (task: TaskRecord) {
  const fs = yield* FileSystem.FileSystem
  const docker = yield* Docker
  const q = yield* QueuePaths
  const left: Array<string> = []
  const containers = yield* docker.listTaskContainers(task.id).pipe(
    Effect.map((cs) => cs.map((c) => c.name)),
    // without an engine, the record says whether a container was left
    Effect.orElseSucceed(() => (task.container !== undefined ? [task.container] : []))
  )
  if (containers.length > 0) left.push(`container${containers.length > 1 ? "s" : ""} ${containers.join(", ")}`)
  const exists = (p: string) => fs.exists(p).pipe(Effect.orElseSucceed(() => true))
  if (task.created_worktree !== undefined && (yield* exists(task.created_worktree)))
    left.push(`worktree ${task.created_worktree}`)
  const stateDir = yield* confined(q, q.opencodeDir, q.taskOpencodeDir(task.id))
  if (yield* exists(stateDir)) left.push(`agent state ${stateDir}`)
  return left
})

/**
 * `taskq remove`: deletes the record (and the markdown with `purge`) and the error report. A task
 * that still has a container, the worktree taskq made or agent state is refused with the command
 * that cleans it, or with `force` cleaned first: removing never leaves an orphan nobody tracks.
 */
export const removeTask = Effect.fn("removeTask")(function* (
  id: string,
  options: { readonly purge: boolean; readonly force: boolean }
) {
  const tasks = yield* TaskRepository
  const errors = yield* ErrorStore
  const task = yield* tasks.get(id)
  const actions: Array<string> = []
  if (task.status !== "in_progress") {
    const left = yield* runtimeLeft(task)
    if (left.length > 0 && !options.force) {
      const clean =
        task.status === "todo" || task.status === "review"
          ? `taskq cancel --id ${id} && taskq cleanup --id ${id}`
          : `taskq cleanup --id ${id}`
      return yield* new InvalidInput({
        reason:
          `task ${id} (${task.status}) still has ${left.join(", ")}: ` +
          `clean it first with \`${clean}\`, or use remove --force`
      })
    }
    if (left.length > 0) actions.push(...(yield* cleanupTask(task, false)).actions)
  }
  const removed = yield* tasks.remove(id, { purge: options.purge })
  if (yield* errors.remove(id)) actions.push("removed the error report")
  return { removed, actions }
})
