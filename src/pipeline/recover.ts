/**
 * Tasks whose runner died (SIGKILL, a crash, a reboot) stay `in_progress` with nobody to finish
 * them. A runner on the same host finds them by the `runner` field (`<host>:<pid>`, the pid no
 * longer alive), stops their containers and records them as failed, so they can be retried.
 */
import { Effect, Option } from "effect"
import { hostname } from "node:os"
import type { TaskRecord } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { Docker } from "../adapters/Docker.js"
import { ErrorStore } from "../store/ErrorStore.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { reapExpiredLeases } from "./leases.js"

/** This process as a runner: `<host>:<pid>`. */
export const runnerId = (): string => `${hostname()}:${process.pid}`
/** The host part of `runnerId`: where this runner's containers and worktrees are. */
export const runnerHost = (): string => hostname()

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: alive, but someone else's
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Whether `task` is in progress under a runner of this host that no longer exists. */
export const isOrphaned = (task: TaskRecord, host = hostname()): boolean => {
  if (task.status !== "in_progress" || task.runner === undefined) return false
  const at = task.runner.lastIndexOf(":")
  const pid = Number(task.runner.slice(at + 1))
  return task.runner.slice(0, at) === host && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)
}

/** Fails every orphaned task (containers stopped, error report written); returns them. */
export const recoverOrphans = Effect.fn("recoverOrphans")(function* () {
  const repo = yield* TaskRepository
  const errors = yield* ErrorStore
  const docker = yield* Docker
  const orphans = (yield* repo.list).filter((t) => isOrphaned(t))
  for (const task of orphans) {
    const message = `its runner (${task.runner}) stopped without recording an outcome`
    const containers = yield* docker.listTaskContainers(task.id).pipe(Effect.orElseSucceed(() => []))
    yield* Effect.forEach(containers, (c) => docker.stop(c.id).pipe(Effect.ignore), { discard: true })
    const now = yield* nowIso
    yield* errors
      .write({
        task_id: task.id,
        attempt: task.attempt,
        stage: "runner",
        exit_code: 137,
        stdout: "",
        stderr: message,
        message,
        created_at: now
      })
      .pipe(Effect.ignore)
    yield* repo
      .transition(task.id, "fail", { error: message, finished_at: now, runner: null })
      .pipe(Effect.option, Effect.map(Option.getOrUndefined))
  }
  // a shared queue (PostgreSQL): tasks of any host whose runner stopped renewing its lease
  return [...orphans, ...(yield* reapExpiredLeases())]
})
