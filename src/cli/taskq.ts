/** The root command: every subcommand wired together. */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { formatterLayer, presenterLayer, reportFailures } from "./output.js"
import { add } from "./add.js"
import { buildImage } from "./buildImage.js"
import { cleanup } from "./cleanup.js"
import { config } from "./config.js"
import { db } from "./db.js"
import { QueueUrl } from "./queueUrl.js"
import { remove } from "./remove.js"
import { review } from "./review.js"
import { run } from "./run.js"
import { status } from "./status.js"
import { cancel, done, reject, retry } from "./transitions.js"

export const VERSION = "0.1.0"

export const taskq = Command.make("taskq").pipe(
  Command.withDescription(
    "Queue coding tasks and run each with the OpenCode agent in its own container and git worktree"
  ),
  Command.withSubcommands([
    add,
    status,
    run,
    review,
    done,
    reject,
    retry,
    cancel,
    cleanup,
    remove,
    buildImage,
    db,
    config
  ]),
  Command.withGlobalFlags([QueueUrl])
)

/** Runs the CLI on `args` (argv without node and script), reporting failures as one line. */
export const runCli = (args: ReadonlyArray<string>) =>
  Command.runWith(taskq, { version: VERSION })(attachPollValue(args)).pipe(
    reportFailures,
    Effect.provide([presenterLayer, formatterLayer])
  )

/** `--poll 10` as `--poll=10`: the flag's value is optional, so the parser only takes it attached. */
export const attachPollValue = (args: ReadonlyArray<string>): ReadonlyArray<string> =>
  args.flatMap((a, i) =>
    a === "--poll" && /^\d+$/.test(args[i + 1] ?? "")
      ? [`--poll=${args[i + 1]}`]
      : args[i - 1] === "--poll" && /^\d+$/.test(a)
        ? []
        : [a]
  )
