/** Flags and layers that several commands share. */
import { Effect, Layer, type Option } from "effect"
import { Flag } from "effect/cli"
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
export const queuePaths = Layer.unwrap(TaskqConfig.useSync((c) => QueuePaths.layer(c.values.queueDir)))

/** The store over the configured queue (bootstrapped on first use), with the settings. */
export const queueLayer = (queueDir: Option.Option<unknown>, flags: FlagValues = {}) =>
  storeLayer.pipe(Layer.provideMerge(queuePaths), Layer.provideMerge(configLayer(queueDir, flags)))

/** The store plus the runtime adapters (git, docker, opencode), with the settings; loaded on first use. */
export const runtimeLayer = (queueDir: Option.Option<unknown>, flags: FlagValues = {}) =>
  Layer.unwrap(Effect.promise(() => import("./runtime.js")).pipe(Effect.map((m) => m.runtimeLayerOf(queueDir, flags))))
