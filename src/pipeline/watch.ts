/** Watching a task container while the agent works: its death, and (with --follow) its output. */
import { Console, Effect, Option, Result, Schedule, Stream } from "effect"
import { ContainerDied, describeStop, Docker, type DockerFailure } from "../adapters/Docker.js"
import { printable } from "../support/printable.js"

/** The container's death (or the engine's silence past our patience), or nothing while it runs. */
const deathOf = Effect.fnUntraced(function* (name: string) {
  const docker = yield* Docker
  const inspected = yield* inspectPatiently(name).pipe(Effect.result)
  // the engine stayed silent past our patience: that, not a death we cannot see, is the failure
  if (Result.isFailure(inspected)) return Option.some<ContainerDied | DockerFailure>(inspected.failure)
  const state = inspected.success
  if (Option.isSome(state) && state.value.running) return Option.none<ContainerDied | DockerFailure>()
  const logsTail = yield* docker.tail(name, 50).pipe(Effect.orElseSucceed(() => ""))
  return Option.some<ContainerDied | DockerFailure>(
    Option.match(state, {
      onNone: () =>
        new ContainerDied({
          container: name,
          status: "gone",
          oomKilled: false,
          how: "disappeared",
          logsTail,
          during: "work"
        }),
      onSome: (s) =>
        new ContainerDied({
          container: name,
          status: s.status,
          exitCode: s.exitCode,
          oomKilled: s.oomKilled,
          how: describeStop(s),
          logsTail,
          during: "work"
        })
    })
  )
})

/** Fails with `ContainerDied` once the container is no longer running; never succeeds. */
export const watchContainer = (name: string) =>
  deathOf(name).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: Effect.fail })),
    Effect.repeat(Schedule.spaced("1 second")),
    Effect.andThen(Effect.never)
  )

/**
 * After the agent's server went away (`lost`): the container's death (waiting up to 5 s for the
 * engine to notice), or `lost` itself when the container still runs.
 */
export const containerDeath = <E>(name: string, lost: E) =>
  deathOf(name).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.fail("running" as const), onSome: Effect.succeed })),
    Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 20 }),
    Effect.orElseSucceed(() => lost),
    Effect.flatMap((e): Effect.Effect<never, ContainerDied | DockerFailure | E> => Effect.fail(e))
  )

/** Streams the container's output to stderr, each line prefixed with the task id. */
export const followLogs = Effect.fnUntraced(function* (taskId: string, name: string) {
  const docker = yield* Docker
  yield* docker.logs(name).pipe(
    Stream.runForEach((line) => Console.error(`[${taskId}] ${printable(line)}`)),
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
export const inspectPatiently = Effect.fnUntraced(function* (name: string) {
  const docker = yield* Docker
  return yield* docker.inspect(name).pipe(Effect.retry({ schedule: engineRetrySchedule }))
})
