/**
 * The host's own OpenCode setup, as the original bootstraps it for every attempt: the config dir
 * (`$OPENCODE_CONFIG_DIR`, else `~/.config/opencode`) and the login (`auth.json` in
 * `$XDG_DATA_HOME/opencode`, else `~/.local/share/opencode`). Copied, never mounted.
 */
import { Config, Effect, FileSystem, Option, Path } from "effect"
import type { PlatformError } from "effect/PlatformError"

export interface HostOpenCodeDirs {
  readonly configDir: string | undefined
  readonly dataDir: string | undefined
}

const env = (name: string) =>
  Config.String(name).pipe(
    Config.option,
    Effect.map(Option.filter((v) => v.trim() !== "")),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/** Where the host's OpenCode keeps its config and its data (undefined when HOME is unknown too). */
export const hostOpenCodeDirs = Effect.gen(function* () {
  const path = yield* Path.Path
  const home = yield* env("HOME")
  const configDir = Option.getOrUndefined(
    Option.orElse(
      Option.map(yield* env("OPENCODE_CONFIG_DIR"), (d) => path.resolve(d)),
      () => Option.map(home, (h) => path.join(h, ".config", "opencode"))
    )
  )
  const dataDir = Option.getOrUndefined(
    Option.orElse(
      Option.map(yield* env("XDG_DATA_HOME"), (d) => path.join(path.resolve(d), "opencode")),
      () => Option.map(home, (h) => path.join(h, ".local", "share", "opencode"))
    )
  )
  return { configDir, dataDir } satisfies HostOpenCodeDirs
})

/** Names in the config dir that are never copied: installed packages, locks, caches, logs, VCS. */
const SKIPPED = new Set([
  "node_modules",
  "package-lock.json",
  "bun.lock",
  "bun.lockb",
  "yarn.lock",
  "pnpm-lock.yaml",
  ".git",
  ".cache",
  "cache",
  "log",
  "logs",
  ".DS_Store"
])
/** The global config files OpenCode merges (in this order); taskq merges them into one opencode.json. */
export const CONFIG_FILES = ["config.json", "opencode.json", "opencode.jsonc"] as const
const MAX_FILE_BYTES = 1024 * 1024
const MAX_FILES = 500
const MAX_DEPTH = 6

export interface CopiedTree {
  /** Paths relative to the config dir, `/`-separated. */
  readonly copied: ReadonlyArray<string>
  readonly skipped: ReadonlyArray<string>
}

/**
 * Copies the host config dir into `target`, except the global config files (merged separately),
 * installed packages, locks, caches and logs, files over 1 MiB and anything that is neither a file
 * nor a directory. Symlinks are followed (dotfile managers link whole dirs), bounded in depth.
 */
export const copyConfigTree = Effect.fnUntraced(function* (source: string, target: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const copied: Array<string> = []
  const skipped: Array<string> = []
  const walk = Effect.fnUntraced(function* (rel: string, depth: number): Effect.fn.Return<void, PlatformError> {
    const names = (yield* fs.readDirectory(path.join(source, rel))).sort()
    for (const name of names) {
      const r = rel === "" ? name : `${rel}/${name}`
      if (SKIPPED.has(name) || (rel === "" && (CONFIG_FILES as ReadonlyArray<string>).includes(name))) continue
      const info = yield* fs.stat(path.join(source, r)).pipe(Effect.option)
      if (Option.isNone(info)) {
        skipped.push(`${r} (unreadable or a dangling link)`)
        continue
      }
      if (info.value.type === "Directory") {
        if (depth >= MAX_DEPTH) {
          skipped.push(`${r}/ (nested too deep)`)
          continue
        }
        yield* fs.makeDirectory(path.join(target, r), { recursive: true })
        yield* walk(r, depth + 1)
      } else if (info.value.type !== "File") {
        skipped.push(`${r} (not a file)`)
      } else if (Number(info.value.size) > MAX_FILE_BYTES) {
        skipped.push(`${r} (over 1 MiB)`)
      } else if (copied.length >= MAX_FILES) {
        skipped.push(`${r} (more than ${MAX_FILES} files)`)
      } else {
        yield* fs.copyFile(path.join(source, r), path.join(target, r))
        copied.push(r)
      }
    }
  })
  yield* walk("", 0)
  return { copied, skipped } satisfies CopiedTree
})
