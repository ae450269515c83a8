/** `taskq run`: turn todo tasks into review tasks (or failed ones, with an error report). */
import { Config, Console, Effect, Option } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { DEFAULT_IMAGE } from "../core/constants.js"
import { runOnce, runOne, runPolling, type QueueRunOptions } from "../pipeline/runQueue.js"
import type { TaskOutcome } from "../pipeline/runTask.js"
import { silentProgress, stderrProgress } from "../pipeline/progress.js"
import { queueDirFlag, runtimeLayer } from "./shared.js"

const seconds = (name: string, env: string, fallback: number, what: string) =>
  Flag.Int(name).pipe(
    Flag.withDescription(`${what} in seconds (default $${env}, else ${fallback})`),
    Flag.withFallbackConfig(Config.Int(env)),
    Flag.withDefault(fallback)
  )
const bool = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

/** One line per task outcome on stdout. */
export const describeOutcome = (o: TaskOutcome): string => {
  switch (o._tag) {
    case "Review":
      return `${o.task.id}: review (session ${o.task.session_id ?? "?"}, web UI http://127.0.0.1:${o.task.port ?? "?"}/)`
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
    maxParallel: Flag.Int("max-parallel").pipe(
      Flag.withDescription("Tasks running at once (default 1)"),
      Flag.withDefault(1)
    ),
    cleanupOnFail: bool(
      "cleanup-on-fail",
      "On failure remove the task's containers and worktree (its changes are committed to the branch first)"
    ),
    dirtyRun: bool("dirty-run", "Reuse an existing worktree and remove stale containers of the task first"),
    follow: bool("follow", "Stream the container's and the agent's output, prefixed by task id"),
    image: Flag.String("image").pipe(
      Flag.withDescription(`Worker image (default $TASKQ_IMAGE, else ${DEFAULT_IMAGE})`),
      Flag.withFallbackConfig(Config.String("TASKQ_IMAGE")),
      Flag.withDefault(DEFAULT_IMAGE)
    ),
    idleTimeout: seconds(
      "idle-timeout",
      "TASKQ_IDLE_TIMEOUT",
      600,
      "Fail a task whose agent shows no activity for this long,"
    ),
    timeout: seconds("timeout", "TASKQ_TIMEOUT", 3600, "Fail a task whose agent runs longer than this,"),
    readyTimeout: seconds(
      "ready-timeout",
      "TASKQ_READY_TIMEOUT",
      120,
      "Fail a task whose OpenCode server is not up within this,"
    ),
    memory: Flag.Int("memory-mb").pipe(
      Flag.withDescription("Memory limit of each task container, in MiB ($TASKQ_MEMORY_MB)"),
      Flag.withFallbackConfig(Config.Int("TASKQ_MEMORY_MB")),
      Flag.optional
    ),
    cpus: Flag.Finite("cpus").pipe(
      Flag.withDescription("CPU limit of each task container, e.g. 1.5 ($TASKQ_CPUS)"),
      Flag.withFallbackConfig(Config.Finite("TASKQ_CPUS")),
      Flag.optional
    ),
    pidsLimit: Flag.Int("pids-limit").pipe(
      Flag.withDescription("Process limit of each task container ($TASKQ_PIDS_LIMIT)"),
      Flag.withFallbackConfig(Config.Int("TASKQ_PIDS_LIMIT")),
      Flag.optional
    ),
    onAsk: Flag.Literals("on-ask", ["deny", "fail", "allow"]).pipe(
      Flag.withDescription(
        "When the agent asks for permission or asks a question: deny it and go on, fail the task, or allow it (default deny)"
      ),
      Flag.withDefault("deny" as const)
    ),
    hostConfig: Flag.Boolean("host-config").pipe(
      Flag.withDescription("Copy your OpenCode config dir into each attempt (--no-host-config: don't)"),
      Flag.withDefault(true)
    ),
    hostAuth: Flag.Boolean("host-auth").pipe(
      Flag.withDescription("Copy your OpenCode login (auth.json) into each attempt (--no-host-auth: don't)"),
      Flag.withDefault(true)
    ),
    queueDir: queueDirFlag
  },
  Effect.fn("cli.run")(function* (flags) {
    const failed: Array<string> = []
    const options: QueueRunOptions = {
      image: flags.image,
      cleanupOnFail: flags.cleanupOnFail,
      dirtyRun: flags.dirtyRun,
      follow: flags.follow,
      readyTimeout: `${flags.readyTimeout} seconds`,
      idleTimeout: `${flags.idleTimeout} seconds`,
      wallTimeout: `${flags.timeout} seconds`,
      askPolicy: flags.onAsk,
      hostConfig: flags.hostConfig,
      hostAuth: flags.hostAuth,
      maxParallel: flags.maxParallel,
      limits: {
        ...(Option.isSome(flags.memory) ? { memoryBytes: flags.memory.value * 1024 * 1024 } : {}),
        ...(Option.isSome(flags.cpus) ? { nanoCpus: Math.round(flags.cpus.value * 1e9) } : {}),
        ...(Option.isSome(flags.pidsLimit) ? { pidsLimit: flags.pidsLimit.value } : {})
      },
      progress: process.stderr.isTTY ? stderrProgress : silentProgress,
      report: (o) =>
        Effect.andThen(
          Effect.sync(() => {
            if (o._tag === "Failed") failed.push(o.task?.id ?? "?")
          }),
          Console.log(describeOutcome(o))
        )
    }
    if (Option.isSome(flags.poll)) {
      yield* Console.error(
        `polling every ${flags.poll.value} s with up to ${flags.maxParallel} task(s) at once; Ctrl-C stops`
      )
      return yield* runPolling(`${flags.poll.value} seconds`, options)
    }
    const outcomes = Option.isSome(flags.id) ? yield* runOne(flags.id.value, options) : yield* runOnce(options)
    if (outcomes.length === 0) yield* Console.log("no todo tasks")
    if (failed.length > 0) {
      return yield* new CliError.UserError({
        cause: undefined,
        userMessage: `${failed.length} task(s) failed: ${failed.join(", ")} (details: taskq status --id ID, queue/errors/ID.json)`
      })
    }
  })
).pipe(
  Command.withDescription("Run todo tasks: worktree, container, agent; then wait in review"),
  Command.validate(({ id, poll, maxParallel }) =>
    Option.isSome(id) && Option.isSome(poll)
      ? Effect.fail(new CliError.ValidationError({ message: "--id and --poll cannot be combined" }))
      : maxParallel < 1
        ? Effect.fail(new CliError.ValidationError({ message: "--max-parallel must be at least 1" }))
        : Option.isSome(poll) && poll.value < 1
          ? Effect.fail(new CliError.ValidationError({ message: "--poll must be at least 1 second" }))
          : Effect.void
  ),
  Command.provide(({ queueDir }) => runtimeLayer(queueDir))
)
