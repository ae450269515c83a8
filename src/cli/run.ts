/** `taskq run`: turn todo tasks into review tasks (or failed ones, with an error report). */
import { Console, Deferred, Effect, Option, Stream } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { runOnce, runOne, type QueueRunOptions } from "../pipeline/runQueue.js"
import { runRunner } from "../pipeline/runner.js"
import { drainOnSigterm } from "./drain.js"
import type { TaskOutcome } from "../pipeline/runTask.js"
import { HostFacts } from "../support/hostFacts.js"
import { silentProgress, stderrProgress } from "../pipeline/progress.js"
import { runSettingNames, settingFlags, TaskqConfig } from "../support/config.js"
import { queueDirFlag, runtimeLayer } from "./shared.js"

/** One line per task outcome on stdout. */
export const describeOutcome = (o: TaskOutcome): string => {
  switch (o._tag) {
    case "Review":
      return (
        `${o.task.id}: review (session ${o.task.session_id ?? "?"}, ` +
        `web UI http://127.0.0.1:${o.task.port ?? "?"}/)`
      )
    case "Failed":
      return `${o.task?.id ?? "?"}: failed at ${o.failure.stage}: ${o.failure.message}`
    case "Skipped":
      return `${o.id}: skipped (${o.reason})`
  }
}

export const run = Command.make(
  "run",
  {
    poll: Flag.Int("poll").pipe(
      Flag.withDescription("Keep polling every SECONDS (5 when no value) until Ctrl-C"),
      Flag.withOptionalValue("5"),
      Flag.optional
    ),
    id: Flag.String("id").pipe(Flag.withDescription("Run this one todo task once"), Flag.optional),
    settings: settingFlags(runSettingNames),
    queueDir: queueDirFlag
  },
  Effect.fn("cli.run")(function* (flags) {
    const config = (yield* TaskqConfig).values
    const options: QueueRunOptions = {
      image: config.image,
      cleanupOnFail: config.cleanupOnFail,
      dirtyRun: config.dirtyRun,
      follow: config.follow !== "off",
      followRaw: config.follow === "raw",
      readyTimeout: `${config.readyTimeout} seconds`,
      idleTimeout: `${config.idleTimeout} seconds`,
      wallTimeout: `${config.timeout} seconds`,
      askPolicy: config.onAsk,
      hostConfig: config.hostConfig,
      hostAuth: config.hostAuth,
      keepRunning: config.keepRunning,
      ...(config.steps !== undefined ? { defaultSteps: config.steps } : {}),
      maxParallel: config.maxParallel,
      network: config.network,
      limits: {
        ...(config.memoryMb !== undefined ? { memoryBytes: config.memoryMb * 1024 * 1024 } : {}),
        ...(config.cpus !== undefined ? { nanoCpus: Math.round(config.cpus * 1e9) } : {}),
        ...(config.pidsLimit !== undefined ? { pidsLimit: config.pidsLimit } : {})
      },
      progress: (yield* (yield* HostFacts).terminal).stderr ? stderrProgress : silentProgress
    }
    if (Option.isSome(flags.poll)) {
      yield* Console.error(
        `polling every ${flags.poll.value} s with up to ${config.maxParallel} task(s) at once; ` +
          `Ctrl-C stops, SIGTERM drains`
      )
      const drain = yield* Deferred.make<void>()
      const every = `${flags.poll.value} seconds` as const
      return yield* Effect.scoped(
        Effect.andThen(
          drainOnSigterm(drain),
          runRunner({ ...options, every, drain, drainTimeout: `${config.drainTimeout} seconds` }).pipe(
            Stream.runForEach((o) => Console.log(describeOutcome(o)))
          )
        )
      )
    }
    const outcomes = Option.isSome(flags.id) ? runOne(flags.id.value, options) : runOnce(options)
    // each outcome is printed as soon as it is known; the failed ones are counted at the end
    const { count, failed } = yield* outcomes.pipe(
      Stream.tap((o) => Console.log(describeOutcome(o))),
      Stream.runFold(
        () => ({ count: 0, failed: [] as ReadonlyArray<string> }),
        (acc, o) => ({
          count: acc.count + 1,
          failed: o._tag === "Failed" ? [...acc.failed, o.task?.id ?? "?"] : acc.failed
        })
      )
    )
    if (count === 0) yield* Console.log("no todo tasks")
    if (failed.length > 0) {
      return yield* new CliError.UserError({
        cause: undefined,
        userMessage:
          `${failed.length} task(s) failed: ${failed.join(", ")} ` +
          `(details: taskq status --id ID, queue/errors/ID.json)`
      })
    }
  })
).pipe(
  Command.withDescription("Run todo tasks: worktree, container, agent; then wait in review"),
  Command.validate(({ id, poll }) =>
    Option.isSome(id) && Option.isSome(poll)
      ? Effect.fail(new CliError.ValidationError({ message: "--id and --poll cannot be combined" }))
      : Option.isSome(poll) && poll.value < 1
        ? Effect.fail(new CliError.ValidationError({ message: "--poll must be at least 1 second" }))
        : Effect.void
  ),
  Command.provide(({ queueDir, settings }) => runtimeLayer(queueDir, settings))
)
