/** The root command: every subcommand wired together. */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { formatterLayer, presenterLayer, reportFailures } from "./output.js"
import { add } from "./add.js"
import { buildImage } from "./buildImage.js"
import { remove } from "./remove.js"
import { status } from "./status.js"
import { cancel, done, reject, retry } from "./transitions.js"

export const VERSION = "0.1.0"

export const taskq = Command.make("taskq").pipe(
  Command.withDescription("Queue coding tasks and run each with the OpenCode agent in its own container and git worktree"),
  Command.withSubcommands([add, status, remove, done, cancel, retry, reject, buildImage])
)

/** Runs the CLI on `args` (argv without node and script), reporting failures as one line. */
export const runCli = (args: ReadonlyArray<string>) =>
  Command.runWith(taskq, { version: VERSION })(args).pipe(
    reportFailures,
    Effect.provide([presenterLayer, formatterLayer])
  )
