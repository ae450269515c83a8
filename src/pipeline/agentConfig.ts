/**
 * The agent's configuration for one attempt, bootstrapped fresh every time: the host's OpenCode
 * config dir and login (copied, never mounted), then `queue/opencode.json` merged over the host's
 * config, then what taskq enforces. What was copied is recorded by name in `bootstrap.json`.
 */
import { Effect, FileSystem, Path, Schema } from "effect"
import { InvalidInput } from "../core/errors.js"
import { CONFIG_FILES, copyConfigTree, hostOpenCodeDirs } from "./hostOpenCode.js"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }
export type JsonObject = { readonly [k: string]: Json }

/** Settings no template can turn off: no auto-update, no sharing, permissions that never ask. */
export const enforcedConfig: JsonObject = {
  $schema: "https://opencode.ai/config.json",
  autoupdate: false,
  share: "disabled",
  permission: { "*": "allow", question: "deny" }
}

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v)

/** Deep merge where `over` wins; arrays and scalars are replaced, objects merged. */
export const deepMerge = (base: JsonObject, over: JsonObject): JsonObject => {
  const out: Record<string, Json> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const current = out[k]
    out[k] = isObject(current) && isObject(v) ? deepMerge(current, v) : v
  }
  return out
}

/**
 * The template's permission map may be a string (`"allow"`) or an object; either way the
 * enforced rules win, so a template cannot make the headless agent ask and hang.
 */
export const mergeAgentConfig = (template: JsonObject): JsonObject => {
  const { permission, ...rest } = template
  const base = isObject(permission) ? { ...rest, permission } : rest
  return deepMerge(base, enforcedConfig)
}

/** JSON with comments and trailing commas (OpenCode's `.jsonc`) as plain JSON. Strings are kept intact. */
export const stripJsonc = (text: string): string => {
  let out = ""
  let i = 0
  while (i < text.length) {
    const c = text[i] ?? ""
    if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2)
      i = end < 0 ? text.length : end + 2
    } else {
      out += c
      i++
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1")
}

const decodeObject = Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.JsonObject))

/** Reads a JSON (or JSONC) object at `file`; absent: empty. Anything else is an error naming the file. */
export const readTemplate = Effect.fnUntraced(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  if (!(yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false)))) return {}
  const text = yield* fs
    .readFileString(file)
    .pipe(Effect.mapError((e) => new InvalidInput({ reason: `${file}: ${e.message}` })))
  const parsed = yield* decodeObject(file.endsWith(".jsonc") ? stripJsonc(text) : text).pipe(
    Effect.mapError(
      (e) => new InvalidInput({ reason: `${file}: not a JSON object (${e.message.split("\n")[0] ?? ""})` })
    )
  )
  return parsed as JsonObject
})

export interface BootstrapOptions {
  /** Copy the host's OpenCode config dir (`--no-host-config` turns it off). */
  readonly hostConfig: boolean
  /** Copy the host's `auth.json` (`--no-host-auth` turns it off). */
  readonly hostAuth: boolean
  /** `queue/opencode.json`, merged over the host's config. */
  readonly template: string
}

/** What an attempt was given, by name only (never contents): `status --id` shows it. */
export const Bootstrap = Schema.Struct({
  host_config_dir: Schema.optionalKey(Schema.String),
  /** Config files merged into the attempt's opencode.json, in order (host files, then the queue's). */
  merged: Schema.Array(Schema.String),
  /** Other files copied from the host config dir (commands, agents, plugins' manifests, …). */
  copied: Schema.Array(Schema.String),
  skipped: Schema.Array(Schema.String),
  auth_file: Schema.optionalKey(Schema.String),
  /** The provider names in the copied auth.json. */
  auth_providers: Schema.Array(Schema.String)
})
export type Bootstrap = typeof Bootstrap.Type
const BootstrapJson = Schema.fromJsonString(Bootstrap)
export const BOOTSTRAP_FILE = "bootstrap.json"

const invalid = (reason: string) => new InvalidInput({ reason })

/**
 * Fills an attempt's empty `configDir` and `dataDir`: the host config dir copied, one opencode.json
 * (host config files < queue template < enforced keys), the host's auth.json (0600), and the
 * manifest `<attemptDir>/bootstrap.json`.
 */
export const bootstrapAttempt = Effect.fn("bootstrapAttempt")(function* (
  dirs: { readonly attemptDir: string; readonly configDir: string; readonly dataDir: string },
  options: BootstrapOptions
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const host = yield* hostOpenCodeDirs
  const io = (what: string) => (e: { readonly message: string }) => invalid(`${what}: ${e.message}`)
  const isDir = (p: string) =>
    fs.stat(p).pipe(
      Effect.map((i) => i.type === "Directory"),
      Effect.orElseSucceed(() => false)
    )
  const merged: Array<string> = []
  const layers: Array<JsonObject> = []
  let copied: ReadonlyArray<string> = []
  let skipped: ReadonlyArray<string> = []
  const useHostConfig = options.hostConfig && host.configDir !== undefined && (yield* isDir(host.configDir))
  if (useHostConfig && host.configDir !== undefined) {
    const tree = yield* copyConfigTree(host.configDir, dirs.configDir).pipe(
      Effect.mapError(io(`copying ${host.configDir}`))
    )
    copied = tree.copied
    skipped = tree.skipped
    for (const name of CONFIG_FILES) {
      const file = path.join(host.configDir, name)
      if (!(yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false)))) continue
      layers.push(yield* readTemplate(file))
      merged.push(file)
    }
  }
  if (yield* fs.exists(options.template).pipe(Effect.orElseSucceed(() => false))) {
    layers.push(yield* readTemplate(options.template))
    merged.push(options.template)
  }
  const config = mergeAgentConfig(layers.reduce(deepMerge, {}))
  yield* fs
    .writeFileString(path.join(dirs.configDir, "opencode.json"), JSON.stringify(config, null, 2) + "\n")
    .pipe(Effect.mapError(io("writing the attempt's opencode.json")))

  let auth: { readonly file: string; readonly providers: ReadonlyArray<string> } | undefined
  const authFile = host.dataDir === undefined ? undefined : path.join(host.dataDir, "auth.json")
  if (
    options.hostAuth &&
    authFile !== undefined &&
    (yield* fs.exists(authFile).pipe(Effect.orElseSucceed(() => false)))
  ) {
    const text = yield* fs.readFileString(authFile).pipe(Effect.mapError(io(authFile)))
    // decoded only to refuse a broken file and to list the provider names; copied byte for byte
    const logins = yield* decodeObject(text).pipe(
      Effect.mapError(() => invalid(`${authFile}: not a JSON object (run \`opencode auth login\` again?)`))
    )
    const target = path.join(dirs.dataDir, "auth.json")
    yield* fs.writeFileString(target, text, { mode: 0o600 }).pipe(Effect.mapError(io("writing auth.json")))
    yield* fs.chmod(target, 0o600).pipe(Effect.mapError(io("chmod auth.json")))
    auth = { file: authFile, providers: Object.keys(logins).sort() }
  }

  const manifest: Bootstrap = {
    ...(useHostConfig && host.configDir !== undefined ? { host_config_dir: host.configDir } : {}),
    merged,
    copied,
    skipped,
    ...(auth ? { auth_file: auth.file } : {}),
    auth_providers: auth?.providers ?? []
  }
  yield* fs
    .writeFileString(
      path.join(dirs.attemptDir, BOOTSTRAP_FILE),
      (yield* Schema.encodeEffect(BootstrapJson)(manifest)) + "\n"
    )
    .pipe(Effect.mapError(io("writing bootstrap.json")))
  return manifest
})

/** Reads an attempt's manifest; nothing when the attempt predates it or is gone. */
export const readBootstrap = Effect.fnUntraced(function* (attemptDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const text = yield* fs.readFileString(path.join(attemptDir, BOOTSTRAP_FILE)).pipe(Effect.option)
  if (text._tag === "None") return undefined
  return yield* Schema.decodeUnknownEffect(BootstrapJson)(text.value).pipe(Effect.orElseSucceed(() => undefined))
})

/** One line for progress and `status --id`: names only. */
export const describeBootstrap = (b: Bootstrap): string => {
  const label = (f: string) =>
    b.host_config_dir !== undefined && f.startsWith(`${b.host_config_dir}/`)
      ? `host ${f.slice(b.host_config_dir.length + 1)}`
      : `queue ${f.split("/").slice(-1)[0] ?? f}`
  const parts = [
    `opencode.json = ${[...b.merged.map(label), "taskq's keys"].join(" + ")}`,
    b.host_config_dir !== undefined
      ? `copied from ${b.host_config_dir}: ${b.copied.length > 0 ? b.copied.join(", ") : "no other files"}`
      : "no host config",
    b.auth_file !== undefined ? `auth.json (${b.auth_providers.join(", ") || "no providers"})` : "no host auth"
  ]
  if (b.skipped.length > 0) parts.push(`skipped ${b.skipped.join(", ")}`)
  return parts.join("; ")
}

/** The run options' host choices, both on unless turned off. */
export const hostSetup = (o: { readonly hostConfig?: boolean; readonly hostAuth?: boolean }) => ({
  hostConfig: o.hostConfig ?? true,
  hostAuth: o.hostAuth ?? true
})
