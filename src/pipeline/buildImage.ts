/**
 * `taskq build-image`: the worker image from `docker/`, with the OpenCode binary brought in as the
 * npm tarball of its platform package, packed on the host (npm verifies its integrity) and cached.
 */
import { Config, Effect, FileSystem, Path } from "effect"
import { DEFAULT_BASE_IMAGE, OPENCODE_VERSION } from "../core/constants.js"
import { InvalidInput } from "../core/errors.js"
import { Docker, ImageBuildFailed } from "../adapters/Docker.js"
import { TaskqConfig } from "../support/config.js"
import { runCommand } from "../support/process.js"

export interface BuildImageOptions {
  readonly tag: string
  readonly rebuild: boolean
  readonly pull: boolean
  readonly baseImage?: string
  readonly onProgress: (line: string) => Effect.Effect<void>
}

/** The folder holding the Dockerfile: `TASKQ_DOCKER_DIR`, else `docker/` beside the installed taskq. */
export const dockerDir = Effect.gen(function* () {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const configured = (yield* TaskqConfig).values.dockerDir
  const candidates = configured !== undefined ? [configured] : []
  // walk up from this module (dist/main.mjs when installed, src/pipeline/ in development)
  let dir = path.dirname(yield* path.fromFileUrl(new URL(import.meta.url)))
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, "docker"))
  for (const c of candidates) {
    if (yield* fs.exists(path.join(c, "Dockerfile")).pipe(Effect.orElseSucceed(() => false))) return c
  }
  return yield* new InvalidInput({
    reason: `no docker/Dockerfile found (looked in ${candidates.join(", ")}); set TASKQ_DOCKER_DIR`
  })
})

/** The npm package of OpenCode's binary for the engine's architecture. */
const platformPackage = (arch: string) => `opencode-linux-${arch === "arm64" || arch === "aarch64" ? "arm64" : "x64"}`

/** `npm pack`s the OpenCode platform package into the cache once; returns the tarball's path. */
const openCodeTarball = Effect.fnUntraced(function* (arch: string, tag: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const home = yield* Config.String("HOME").pipe(
    Config.withDefault("/tmp"),
    Effect.orElseSucceed(() => "/tmp")
  )
  const cacheHome = yield* Config.String("XDG_CACHE_HOME").pipe(
    Config.withDefault(path.join(home, ".cache")),
    Effect.orElseSucceed(() => path.join(home, ".cache"))
  )
  const dir = path.join(cacheHome, "taskq", "opencode")
  const pkg = platformPackage(arch)
  const file = path.join(dir, `${pkg}-${OPENCODE_VERSION}.tgz`)
  if (yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false))) return file
  yield* fs
    .makeDirectory(dir, { recursive: true })
    .pipe(Effect.mapError((e) => new ImageBuildFailed({ tag, reason: e.message, output: "" })))
  yield* runCommand("npm", ["pack", "--silent", "--pack-destination", dir, `${pkg}@${OPENCODE_VERSION}`])
  return file
})

/** Whether a build failed because the default, locally made base image is not on this machine. */
export const missingBase = (base: string, reason: string): boolean =>
  base === DEFAULT_BASE_IMAGE &&
  /pull access denied|repository does not exist|not found|no such image/i.test(reason) &&
  reason.includes(base.split(":")[0] ?? base)

/**
 * What to run when the base image is missing: the recipe ships with taskq (`scripts/` beside
 * `docker/`), so an installed package can make it too.
 */
export const baseImageHelp = (base: string, recipe: string): string =>
  `the base image ${base} is not on this machine; make it with \`bash ${recipe}\` ` +
  `(debootstrap, as root), then \`taskq build-image --no-pull\`; or build on a registry image: ` +
  `\`taskq build-image --base-image debian:bookworm-slim\``

export const buildImage = Effect.fn("buildImage")(function* (options: BuildImageOptions) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const docker = yield* Docker
  yield* docker.ping
  const source = yield* dockerDir
  const base = options.baseImage ?? DEFAULT_BASE_IMAGE
  const tarball = yield* openCodeTarball(process.arch, options.tag)
  yield* options.onProgress(`context: ${source} + ${path.basename(tarball)}`)
  const ioError = (e: { readonly message: string }) =>
    new ImageBuildFailed({ tag: options.tag, reason: e.message, output: "" })
  // a private context folder: the Dockerfile, the entrypoint, and a link to the cached tarball
  yield* Effect.scoped(
    Effect.gen(function* () {
      const context = yield* fs.makeTempDirectoryScoped({ prefix: "taskq-build-" }).pipe(Effect.mapError(ioError))
      const files = yield* fs.readDirectory(source).pipe(Effect.mapError(ioError))
      yield* Effect.forEach(files, (f) => fs.copyFile(path.join(source, f), path.join(context, f)), {
        discard: true
      }).pipe(Effect.mapError(ioError))
      const name = path.basename(tarball)
      yield* fs.link(tarball, path.join(context, name)).pipe(
        Effect.catch(() => fs.copyFile(tarball, path.join(context, name))),
        Effect.mapError(ioError)
      )
      yield* docker
        .buildImage(
          {
            contextDir: context,
            files: [...files, name],
            tag: options.tag,
            noCache: options.rebuild,
            pull: options.pull,
            buildArgs: { BASE_IMAGE: base, OPENCODE_TARBALL: name }
          },
          options.onProgress
        )
        .pipe(
          Effect.mapError((e) =>
            e._tag !== "ImageBuildFailed"
              ? e
              : missingBase(base, e.reason)
                ? new ImageBuildFailed({
                    ...e,
                    reason: baseImageHelp(base, path.join(path.dirname(source), "scripts", "build-base-image.sh"))
                  })
                : options.pull && /registry|lookup|pull access|dial tcp/i.test(e.reason)
                  ? new ImageBuildFailed({
                      ...e,
                      reason: `${e.reason} (offline? --no-pull builds on the local base image)`
                    })
                  : e
          )
        )
    })
  )
})
