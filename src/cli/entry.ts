/**
 * The CLI's entry: loads only the subcommand that argv names (each is its own chunk of the bundle),
 * so `taskq status` does not load Docker, git or OpenCode code and `taskq --version` loads no command.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { formatterLayer, presenterLayer, reportFailures } from "./output.js"
import { QueueUrl } from "./queueUrl.js"
import type { subcommands, taskq } from "./taskq.js"

export const VERSION = "0.1.0"
export const DESCRIPTION =
  "Queue coding tasks and run each with the OpenCode agent in its own container and git worktree"

type Subcommand = (typeof subcommands)[number]

/** Each subcommand's module, loaded on demand. */
const loaders: Record<string, () => Promise<Subcommand>> = {
  add: () => import("./add.js").then((m) => m.add),
  status: () => import("./status.js").then((m) => m.status),
  run: () => import("./run.js").then((m) => m.run),
  review: () => import("./review.js").then((m) => m.review),
  done: () => import("./transitions.js").then((m) => m.done),
  reject: () => import("./transitions.js").then((m) => m.reject),
  retry: () => import("./transitions.js").then((m) => m.retry),
  cancel: () => import("./transitions.js").then((m) => m.cancel),
  cleanup: () => import("./cleanup.js").then((m) => m.cleanup),
  remove: () => import("./remove.js").then((m) => m.remove),
  "build-image": () => import("./buildImage.js").then((m) => m.buildImage),
  db: () => import("./db.js").then((m) => m.db),
  config: () => import("./config.js").then((m) => m.config)
}

/** The subcommands bin.ts can load one by one (a test checks they are taskq.ts's). */
export const commandNames: ReadonlyArray<string> = Object.keys(loaders)

/** `--poll 10` as `--poll=10`: the flag's value is optional, so the parser only takes it attached. */
export const attachPollValue = (args: ReadonlyArray<string>): ReadonlyArray<string> =>
  args.flatMap((a, i) =>
    a === "--poll" && /^\d+$/.test(args[i + 1] ?? "")
      ? [`--poll=${args[i + 1]}`]
      : args[i - 1] === "--poll" && /^\d+$/.test(a)
        ? []
        : [a]
  )

/** Runs `root` on `args`, reporting failures as one line. */
export const runRoot = <E, R>(root: Command.Command<"taskq", {}, {}, E, R>, args: ReadonlyArray<string>) =>
  Command.runWith(root, { version: VERSION })(attachPollValue(args)).pipe(
    reportFailures,
    Effect.provide([presenterLayer, formatterLayer])
  )

/**
 * The root with only the subcommand argv names (the first argument that is a command name); with
 * none, every subcommand (for help and "unknown command"), or none at all for a bare `--version`.
 */
const rootFor = Effect.fnUntraced(function* (args: ReadonlyArray<string>) {
  const name = args.find((a) => Object.hasOwn(loaders, a))
  const base = Command.make("taskq").pipe(Command.withDescription(DESCRIPTION))
  const load = name === undefined ? undefined : loaders[name]
  if (load !== undefined) {
    const one: typeof taskq = base.pipe(
      Command.withSubcommands([yield* Effect.promise(load)]),
      Command.withGlobalFlags([QueueUrl])
    )
    return one
  }
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
    const none: typeof taskq = base.pipe(Command.withGlobalFlags([QueueUrl]))
    return none
  }
  return (yield* Effect.promise(() => import("./taskq.js"))).taskq
})

/** `taskq help [COMMAND]` as `taskq [COMMAND] --help`, and `taskq version` as `taskq --version`. */
export const helpAndVersion = (args: ReadonlyArray<string>): ReadonlyArray<string> =>
  args[0] === "help" && args.length <= 2
    ? // `taskq help frobnicate`: the unknown command's own error, not the top-level help
      args[1] === undefined || Object.hasOwn(loaders, args[1])
      ? [...args.slice(1), "--help"]
      : args.slice(1)
    : args[0] === "version" && args.length === 1
      ? ["--version"]
      : args

/** Runs the CLI on `args` (argv without node and script), loading only what the command needs. */
export const runCliLazy = (argv: ReadonlyArray<string>) => {
  const args = helpAndVersion(argv)
  return Effect.flatMap(rootFor(args), (root) => runRoot(root, args))
}
