/** The store plus the runtime adapters (git, docker, opencode), with the settings; loaded only by commands that need them. */
import { Layer, type Option } from "effect"
import { Docker } from "../adapters/Docker.js"
import { Git } from "../adapters/Git.js"
import { OpenCode } from "../adapters/OpenCode.js"
import type { FlagValues } from "../support/config.js"
import { storeLayer } from "./queueUrl.js"
import { configLayer, queuePaths } from "./shared.js"

export const runtimeLayerOf = (queueDir: Option.Option<unknown>, flags: FlagValues) =>
  Layer.mergeAll(storeLayer, Git.layer, Docker.layer, OpenCode.layer).pipe(
    Layer.provideMerge(queuePaths),
    Layer.provideMerge(configLayer(queueDir, flags))
  )
