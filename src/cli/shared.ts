/** Flags and layers that several commands share. */
import { Effect, FileSystem, Layer, type Option, Path } from "effect"
import { Flag } from "effect/cli"
import { InvalidInput } from "../core/errors.js"
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

/**
 * For commands that only read or act on existing tasks (status, review): fails when there is no
 * queue at the configured dir, instead of creating one there. A PostgreSQL queue needs no dir.
 */
export const existingQueue = Layer.effectDiscard(
  Effect.gen(function* () {
    const c = yield* TaskqConfig
    if (c.values.queueUrl !== undefined) return
    const q = yield* QueuePaths
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (yield* fs.exists(q.tasksFile).pipe(Effect.orElseSucceed(() => false))) return
    const dir = c.values.queueDir
    const shown = path.isAbsolute(dir) || dir.startsWith(".") ? dir : `./${dir}`
    return yield* new InvalidInput({ reason: `no queue at ${shown}; --queue-dir or TASKQ_QUEUE_DIR` })
  })
)

/** The store over an existing queue (see `existingQueue`), with the settings. */
export const readQueueLayer = (queueDir: Option.Option<unknown>, flags: FlagValues = {}) =>
  storeLayer.pipe(
    Layer.provide(existingQueue),
    Layer.provideMerge(queuePaths),
    Layer.provideMerge(configLayer(queueDir, flags))
  )

/** The store over the configured queue (bootstrapped on first use), with the settings. */
export const queueLayer = (queueDir: Option.Option<unknown>, flags: FlagValues = {}) =>
  storeLayer.pipe(Layer.provideMerge(queuePaths), Layer.provideMerge(configLayer(queueDir, flags)))

/**
 * The store plus the runtime adapters (git, docker, opencode), with the settings; loaded on first
 * use. `existing`: see `existingQueue`.
 */
export const runtimeLayer = (
  queueDir: Option.Option<unknown>,
  flags: FlagValues = {},
  options: { readonly existing?: boolean } = {}
) =>
  Layer.unwrap(
    Effect.promise(() => import("./runtime.js")).pipe(
      Effect.map((m) => m.runtimeLayerOf(queueDir, flags, options.existing))
    )
  )
