/** `taskq build-image [--rebuild] [--no-pull]`: the worker image from docker/Dockerfile. */
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { DEFAULT_BASE_IMAGE, DEFAULT_IMAGE } from "../core/constants.js"
import { Docker } from "../adapters/Docker.js"
import { buildImage as build } from "../pipeline/buildImage.js"
import { TaskqConfig } from "../support/config.js"

export const buildImage = Command.make(
  "build-image",
  {
    rebuild: Flag.Boolean("rebuild").pipe(
      Flag.withDescription("Build without the layer cache"),
      Flag.withDefault(false)
    ),
    noPull: Flag.Boolean("no-pull").pipe(
      Flag.withDescription("Do not refresh the base image (offline, on a locally imported base)"),
      Flag.withDefault(false)
    ),
    tag: Flag.String("tag").pipe(
      Flag.withDescription(`Image tag (default ${DEFAULT_IMAGE})`),
      Flag.withDefault(DEFAULT_IMAGE)
    ),
    baseImage: Flag.String("base-image").pipe(
      Flag.withDescription(`Base image (default ${DEFAULT_BASE_IMAGE})`),
      Flag.optional
    )
  },
  Effect.fn("cli.build-image")(function* ({ rebuild, noPull, tag, baseImage }) {
    const started = Date.now()
    yield* build({
      tag,
      rebuild,
      pull: !noPull,
      ...(Option.isSome(baseImage) ? { baseImage: baseImage.value } : {}),
      onProgress: (line) => Console.error(line)
    })
    yield* Console.log(`built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })
).pipe(
  Command.withDescription("Build the worker image (OpenCode inside) from docker/Dockerfile"),
  Command.provide(Docker.layer.pipe(Layer.provideMerge(TaskqConfig.layerFrom({ readQueueFile: false }))))
)
