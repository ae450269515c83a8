/** Flags and layers that several commands share. */
import { Config, Layer } from "effect"
import { Flag } from "effect/cli"
import { Docker } from "../adapters/Docker.js"
import { Git } from "../adapters/Git.js"
import { OpenCode } from "../adapters/OpenCode.js"
import { DEFAULT_QUEUE_DIR, QueuePaths } from "../support/paths.js"
import { storeLayer } from "./queueUrl.js"

export const queueDirFlag = Flag.String("queue-dir").pipe(
  Flag.withDescription(`Queue root (default: $TASKQ_QUEUE_DIR, else ./${DEFAULT_QUEUE_DIR})`),
  Flag.withFallbackConfig(Config.String("TASKQ_QUEUE_DIR")),
  Flag.withDefault(DEFAULT_QUEUE_DIR)
)
export const idFlag = Flag.String("id").pipe(Flag.withDescription("Task id"))
export const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("Print data as JSON"), Flag.withDefault(false))

/** The store over the queue at `root` (bootstrapped on first use), or the PostgreSQL queue of `--queue-url`. */
export const queueLayer = (root: string) => storeLayer.pipe(Layer.provideMerge(QueuePaths.layer(root)))

/** The store plus the runtime adapters (git, docker, opencode). */
export const runtimeLayer = (root: string) => Layer.mergeAll(queueLayer(root), Git.layer, Docker.layer, OpenCode.layer)
