/** Watching a task container while the agent works: its death, and (with --follow) its output. */
import { Console, Effect, Option, Result, Schedule, Stream } from "effect"
import { StageError } from "../core/errors.js"
import { describeStop, Docker, type DockerFailure } from "../adapters/Docker.js"

/** The container's death as a StageError of stage `container`, or nothing while it runs. */
const deathOf = (name: string) =>
  Effect.gen(function* () {
    const docker = yield* Docker
    const inspected = yield* inspectPatiently(name).pipe(Effect.result)
    // the engine stayed silent past our patience: that, not a death we cannot see, is the failure
    if (Result.isFailure(inspected)) return Option.some<StageError | DockerFailure>(inspected.failure)
    const state = inspected.success
    if (Option.isSome(state) && state.value.running) return Option.none<StageError | DockerFailure>()
    const output = yield* docker.tail(name, 50).pipe(Effect.orElseSucceed(() => ""))
    const exitCode = Option.isSome(state) ? state.value.exitCode : -1
    return Option.some<StageError | DockerFailure>(
      new StageError({
        stage: "container",
        exitCode,
        stdout: output,
        stderr: `container ${name} ${Option.isSome(state) ? describeStop(state.value) : "disappeared"} while the agent was working`
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

/** How long the engine may go without answering before a watched container counts as lost. */
export const ENGINE_PATIENCE = "15 seconds"

/** 250 ms, doubling, at most 2 s apart, for at most `ENGINE_PATIENCE`. */
export const engineRetrySchedule = Schedule.min([
  Schedule.exponential("250 millis"),
  Schedule.spaced("2 seconds")
]).pipe(Schedule.upTo({ duration: ENGINE_PATIENCE }))

/**
 * The container's state, riding out engine blips: an engine that does not answer (restarting,
 * socket reset) or fails the call is asked again with backoff for up to 15 s before the container
 * counts as gone. Only the engine's own "no such container" (404) is taken at once.
 */
export const inspectPatiently = (name: string) =>
  Effect.gen(function* () {
    const docker = yield* Docker
    return yield* docker.inspect(name).pipe(Effect.retry({ schedule: engineRetrySchedule }))
  })
