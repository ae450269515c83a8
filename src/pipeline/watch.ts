/** Watching a task container while the agent works: its death, and (with --follow) its output. */
import { Console, Effect, Option, Schedule, Stream } from "effect"
import { StageError } from "../core/errors.js"
import { Docker } from "../adapters/Docker.js"

/** The container's death as a StageError of stage `container`, or nothing while it runs. */
const deathOf = (name: string) =>
  Effect.gen(function* () {
    const docker = yield* Docker
    const state = yield* docker.inspect(name).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(state) && state.value.running) return Option.none<StageError>()
    const output = yield* docker.tail(name, 50).pipe(Effect.orElseSucceed(() => ""))
    const exitCode = Option.isSome(state) ? state.value.exitCode : -1
    return Option.some(
      new StageError({
        stage: "container",
        exitCode,
        stdout: output,
        stderr: `container ${name} ${Option.isSome(state) ? `stopped (${state.value.status}, exit ${exitCode})` : "disappeared"} while the agent was working`
      })
    )
  })

/** Fails with stage `container` once the container is no longer running; never succeeds. */
export const watchContainer = (name: string) =>
  deathOf(name).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: Effect.fail })),
    Effect.repeat(Schedule.spaced("1 second")),
    Effect.andThen(Effect.never)
  )

/**
 * After the agent's server went away: the container's death (waiting up to 5 s for the engine to
 * notice), or a plain agent failure when the container still runs.
 */
export const containerDeath = (name: string) =>
  deathOf(name).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.fail("running" as const), onSome: Effect.succeed })),
    Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 20 }),
    Effect.orElseSucceed(
      () =>
        new StageError({
          stage: "agent",
          exitCode: -1,
          stdout: "",
          stderr: `lost the OpenCode server of ${name}, but the container still runs`
        })
    )
  )

/** Streams the container's output to stderr, each line prefixed with the task id. */
export const followLogs = (taskId: string, name: string) =>
  Effect.gen(function* () {
    const docker = yield* Docker
    yield* docker.logs(name).pipe(
      Stream.runForEach((line) => Console.error(`[${taskId}] ${line}`)),
      Effect.ignore
    )
  })
