/** Watching a task container while the agent works: its death, and (with --follow) its output. */
import { Console, Effect, Option, Schedule, Stream } from "effect"
import { StageError } from "../core/errors.js"
import { Docker } from "../adapters/Docker.js"

/** Fails with stage `container` once the container is no longer running; never succeeds. */
export const watchContainer = (name: string) => Effect.gen(function*() {
  const docker = yield* Docker
  const check = Effect.gen(function*() {
    const state = yield* docker.inspect(name).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(state) && state.value.running) return
    const output = yield* docker.tail(name, 50).pipe(Effect.orElseSucceed(() => ""))
    const exitCode = Option.isSome(state) ? state.value.exitCode : -1
    return yield* new StageError({
      stage: "container", exitCode, stdout: output,
      stderr: `container ${name} ${Option.isSome(state) ? `stopped (${state.value.status}, exit ${exitCode})` : "disappeared"} while the agent was working`
    })
  })
  return yield* check.pipe(Effect.repeat(Schedule.spaced("1 second")), Effect.andThen(Effect.never))
})

/** Streams the container's output to stderr, each line prefixed with the task id. */
export const followLogs = (taskId: string, name: string) => Effect.gen(function*() {
  const docker = yield* Docker
  yield* docker.logs(name).pipe(Stream.runForEach((line) => Console.error(`[${taskId}] ${line}`)), Effect.ignore)
})
