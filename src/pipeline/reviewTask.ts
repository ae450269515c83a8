/**
 * A task in review keeps no running container: its state is in the attempt dirs and the worktree.
 * `park` stops the container when the agent is done; `revive` starts it again for `taskq review`,
 * waits for its server and checks that the task's session is there.
 */
import { Duration, Effect, FileSystem, Option } from "effect"
import { AGENT_PORT } from "../core/constants.js"
import { InvalidInput } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { Docker } from "../adapters/Docker.js"
import { OpenCode, type ServerRef } from "../adapters/OpenCode.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { findServerPassword, type ServerPassword } from "../support/attemptSecrets.js"

/** Stops a finished task's container; a failure to stop is said, not fatal (the task is in review). */
export const park = Effect.fnUntraced(function* (container: string, say: (m: string) => Effect.Effect<void>) {
  const stopped = yield* (yield* Docker).stop(container).pipe(Effect.result)
  yield* say(
    stopped._tag === "Success"
      ? `container ${container} stopped until review (taskq run --keep-running keeps it up)`
      : `could not stop container ${container}: ${stopped.failure.message}`
  )
})

export interface LiveTask {
  readonly task: TaskRecord
  readonly container: string
  readonly port: number
  readonly server: ServerRef
  readonly password: ServerPassword | undefined
  /** The container was stopped and has been started again. */
  readonly restarted: boolean
}

/** The attempt's server password (attempts run before servers had one: none). */
const serverPasswordOf = (task: TaskRecord) =>
  task.opencode_attempt_dir === undefined
    ? Effect.succeed(undefined)
    : Effect.map(findServerPassword(task.opencode_attempt_dir), Option.getOrUndefined)

const refuse = (id: string, reason: string) => new InvalidInput({ reason: `cannot review ${id}: ${reason}` })

/**
 * Brings the task's server back: the task must be in review (or failed, for inspection) with its
 * container and attempt dirs; a stopped container is started again (its new port recorded), the
 * server waited for, and the session checked.
 */
export const revive = Effect.fn("revive")(function* (id: string, readyTimeout: Duration.Input = "60 seconds") {
  const fs = yield* FileSystem.FileSystem
  const tasks = yield* TaskRepository
  const docker = yield* Docker
  const opencode = yield* OpenCode
  const task = yield* tasks.get(id)
  if (task.status !== "review" && task.status !== "failed")
    return yield* refuse(id, `it is ${task.status}, not review (or failed, for inspection)`)
  const container = task.container
  if (container === undefined)
    return yield* refuse(id, "it has no container recorded (removed by cleanup or --cleanup-on-fail?)")
  for (const [what, dir] of [
    ["config", task.opencode_config_dir],
    ["data", task.opencode_data_dir]
  ] as const) {
    if (!dir || !(yield* fs.exists(dir).pipe(Effect.orElseSucceed(() => false))))
      return yield* refuse(id, `its attempt ${what} dir ${dir ?? "(none)"} is missing`)
  }
  const state = yield* docker.inspect(container)
  if (Option.isNone(state))
    return yield* refuse(id, `container ${container} is gone (taskq retry --id ${id} runs the task again)`)
  const restarted = !state.value.running
  const port = restarted ? yield* docker.restart(container, AGENT_PORT) : (task.port ?? 0)
  if (port <= 0) return yield* refuse(id, "it has no server port recorded")
  if (port !== task.port) yield* tasks.updateRuntime(id, { port })
  const password = yield* serverPasswordOf(task)
  const server: ServerRef = {
    baseUrl: `http://127.0.0.1:${port}`,
    ...(password !== undefined ? { password: password.value } : {})
  }
  yield* opencode.waitReady(server, readyTimeout)
  if (task.session_id !== undefined && !(yield* opencode.hasSession(server, task.session_id)))
    return yield* refuse(id, `session ${task.session_id} is not on the server of ${container}`)
  return { task: { ...task, port }, container, port, server, password, restarted } satisfies LiveTask
})
