/**
 * Tasks whose runner died (SIGKILL, a crash, a reboot) stay `in_progress` with nobody to finish
 * them. A runner on the same host finds them by the `runner` field (`<host>:<pid>`, the pid no
 * longer alive), stops their containers and records them as failed, so they can be retried.
 */
import { Effect, Option } from "effect"
import type { TaskRecord } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { Docker } from "../adapters/Docker.js"
import { ErrorStore, runnerGoneReport } from "../store/ErrorStore.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { HostFacts } from "../support/hostFacts.js"
import { reapExpiredLeases } from "./leases.js"

/** The pid of `task`'s runner when that runner is a process of `host` other than `self`. */
export const localRunnerPid = (task: TaskRecord, host: string, self: number): Option.Option<number> => {
  if (task.status !== "in_progress" || task.runner === undefined) return Option.none()
  const at = task.runner.lastIndexOf(":")
  const pid = Number(task.runner.slice(at + 1))
  return task.runner.slice(0, at) === host && Number.isInteger(pid) && pid > 0 && pid !== self
    ? Option.some(pid)
    : Option.none()
}

/** Whether `task` is in progress under a runner of this host that no longer exists. */
export const isOrphaned = Effect.fnUntraced(function* (task: TaskRecord) {
  const host = yield* HostFacts
  const runner = yield* host.runner
  const pid = localRunnerPid(task, runner.hostname, runner.pid)
  return Option.isSome(pid) && !(yield* host.isAlive(pid.value))
})

/** Why an orphaned task failed. */
export const orphanMessage = (task: TaskRecord) => `its runner (${task.runner}) stopped without recording an outcome`

/** Fails every orphaned task (containers stopped, error report written); returns them. */
export const recoverOrphans = Effect.fn("recoverOrphans")(function* () {
  const tasks = yield* TaskRepository
  const errors = yield* ErrorStore
  const docker = yield* Docker
  const orphans = yield* Effect.filter(yield* tasks.list, isOrphaned)
  for (const task of orphans) {
    const message = orphanMessage(task)
    const containers = yield* docker.listTaskContainers(task.id).pipe(Effect.orElseSucceed(() => []))
    yield* Effect.forEach(containers, (c) => docker.stop(c.id).pipe(Effect.ignore), { discard: true })
    const now = yield* nowIso
    yield* errors.write(runnerGoneReport(task, message, "RunnerDied", now)).pipe(Effect.ignore)
    yield* tasks
      .transition(task.id, "fail", { error: message, finished_at: now, runner: null })
      .pipe(Effect.option, Effect.map(Option.getOrUndefined))
  }
  // a shared queue (PostgreSQL): tasks of any host whose runner stopped renewing its lease
  return [...orphans, ...(yield* reapExpiredLeases())]
})
