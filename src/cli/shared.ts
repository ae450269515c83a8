/** Flags and layers that several commands share. */
import { Layer, Option } from "effect"
import { Flag } from "effect/cli"
import { Docker } from "../adapters/Docker.js"
import { Git } from "../adapters/Git.js"
import { OpenCode } from "../adapters/OpenCode.js"
import { type FlagValues, settingFlags, TaskqConfig } from "../support/config.js"
import { QueuePaths } from "../support/paths.js"
import { QueueUrl, storeLayer } from "./queueUrl.js"

/** `--queue-dir`; absent means `$TASKQ_QUEUE_DIR`, else ./queue (resolved by TaskqConfig). */
export const queueDirFlag = settingFlags(["queueDir"]).queueDir
export const idFlag = Flag.String("id").pipe(Flag.withDescription("Task id"))
export const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("Print data as JSON"), Flag.withDefault(false))

/** The settings of a command with a queue: its flags, the environment, queue/taskq.json, defaults. */
export const configLayer = (queueDir: Option.Option<unknown>, flags: FlagValues = {}) =>
  Layer.unwrap(QueueUrl.useSync((queueUrl) => TaskqConfig.layerFrom({ flags: { ...flags, queueDir, queueUrl } })))

/** The queue's paths, at the configured queue dir. */
const queuePaths = Layer.unwrap(TaskqConfig.useSync((c) => QueuePaths.layer(c.values.queueDir)))

/** The store over the configured queue (bootstrapped on first use), with the settings. */
export const queueLayer = (queueDir: Option.Option<unknown>, flags: FlagValues = {}) =>
  storeLayer.pipe(Layer.provideMerge(queuePaths), Layer.provideMerge(configLayer(queueDir, flags)))

/** The store plus the runtime adapters (git, docker, opencode), with the settings. */
export const runtimeLayer = (queueDir: Option.Option<unknown>, flags: FlagValues = {}) =>
  Layer.mergeAll(storeLayer, Git.layer, Docker.layer, OpenCode.layer).pipe(
    Layer.provideMerge(queuePaths),
    Layer.provideMerge(configLayer(queueDir, flags))
  )
