/**
 * The store plus the runtime adapters (git, docker, opencode), the host's facts and the task
 * runner, with the settings; loaded only by commands that need them.
 */
import { Layer, type Option } from "effect"
import { Docker } from "../adapters/Docker.js"
import { Git } from "../adapters/Git.js"
import { OpenCode } from "../adapters/OpenCode.js"
import type { FlagValues } from "../support/config.js"
import { HostFacts } from "../support/hostFacts.js"
import { TaskRunner } from "../pipeline/TaskRunner.js"
import { storeLayer } from "./queueUrl.js"
import { configLayer, existingQueue, queuePaths } from "./shared.js"

export const runtimeLayerOf = (queueDir: Option.Option<unknown>, flags: FlagValues, existing = false) =>
  TaskRunner.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        existing ? storeLayer.pipe(Layer.provide(existingQueue)) : storeLayer,
        Git.layer,
        Docker.layer,
        OpenCode.layer,
        HostFacts.layer
      )
    ),
    Layer.provideMerge(queuePaths),
    Layer.provideMerge(configLayer(queueDir, flags))
  )
