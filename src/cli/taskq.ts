/** The root command: every subcommand wired together (bin.ts loads them one by one through entry.ts). */
import { Command } from "effect/cli"
import { add } from "./add.js"
import { buildImage } from "./buildImage.js"
import { cleanup } from "./cleanup.js"
import { config } from "./config.js"
import { db } from "./db.js"
import { attachPollValue, DESCRIPTION, runRoot, VERSION } from "./entry.js"
import { QueueUrl } from "./queueUrl.js"
import { remove } from "./remove.js"
import { review } from "./review.js"
import { run } from "./run.js"
import { status } from "./status.js"
import { cancel, done, reject, retry } from "./transitions.js"

export { attachPollValue, VERSION }

export const subcommands = [
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
] as const

export const taskq = Command.make("taskq").pipe(
  Command.withDescription(DESCRIPTION),
  Command.withSubcommands(subcommands),
  Command.withGlobalFlags([QueueUrl])
)

/** Runs the CLI on `args` (argv without node and script), reporting failures as one line. */
export const runCli = (args: ReadonlyArray<string>) => runRoot(taskq, args)
