/**
 * Where settings come from, and which wins: a value comes from the first of its flag
 * (`taskq run --max-parallel 3`), its environment variable (`TASKQ_MAX_PARALLEL`), the queue's
 * `queue/taskq.json` (`{"max-parallel": 3}`), the built-in default. A bad value anywhere (an
 * unparsable variable, an unknown key in taskq.json, a flag out of range) is one `ConfigInvalid`
 * naming where it came from, never a silent default.
 */
import { Config, Effect, FileSystem, Option, Path, Result, Schema } from "effect"
import { CliError } from "effect/cli"
import { showValue } from "./settingKinds.js"
import { type FlagValues, type SettingName, settingNames, settingOf, type SettingValues } from "./settings.js"

/** Where an effective value came from. */
export type Origin = "flag" | "env" | "file" | "default"

/** A setting's value that does not decode, or a `queue/taskq.json` that cannot be used. */
export class ConfigInvalid extends Schema.TaggedError<ConfigInvalid>()("ConfigInvalid", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `bad setting: ${this.source}: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The effective settings, where each came from, and the taskq.json that was read (if any). */
export interface ResolvedConfig {
  readonly values: SettingValues
  readonly origins: { readonly [K in SettingName]: Origin }
  readonly file: string | undefined
}

const decodeAs = (name: SettingName, value: unknown, source: string): Effect.Effect<unknown, ConfigInvalid> => {
  const s = settingOf(name)
  return Result.match(Schema.decodeUnknownResult(s.kind.schema)(value), {
    onSuccess: Effect.succeed,
    onFailure: () => Effect.fail(new ConfigInvalid({ source, reason: `${showValue(value)} is not ${s.kind.expected}` }))
  })
}

/** The environment's values, read in one `Config.all` (so tests can swap the `ConfigProvider`). */
const readEnvironment = Effect.gen(function* () {
  const withEnv = settingNames.flatMap((n) => {
    const env = settingOf(n).env
    return env === undefined ? [] : [[n, env] as const]
  })
  const typed = (n: SettingName, env: string) => Config.option(Config.schema(settingOf(n).kind.schema, env))
  const values = yield* Config.all(Object.fromEntries(withEnv.map(([n, env]) => [n, typed(n, env)]))).pipe(
    Effect.catch(() => badVariable(withEnv))
  )
  const out: Partial<Record<SettingName, unknown>> = {}
  for (const [n] of withEnv) {
    const value = values[n]
    if (value !== undefined && Option.isSome(value)) out[n] = value.value
  }
  return out
})

/** The first variable whose value does not decode, as an error showing the value. */
const badVariable = Effect.fnUntraced(function* (withEnv: ReadonlyArray<readonly [SettingName, string]>) {
  for (const [n, env] of withEnv) {
    const ok = yield* Config.schema(settingOf(n).kind.schema, env).pipe(Config.option, Effect.isSuccess)
    if (ok) continue
    const raw = yield* Config.String(env).pipe(Effect.orElseSucceed(() => ""))
    return yield* new ConfigInvalid({
      source: `${env}=${showValue(raw)}`,
      reason: `expected ${settingOf(n).kind.expected}`
    })
  }
  return yield* new ConfigInvalid({ source: "environment", reason: "could not be read" })
})

const FileJson = Schema.fromJsonString(Schema.Record(Schema.String, Schema.Unknown))

/** `queue/taskq.json`'s values when the file exists; unknown keys are an error naming them. */
const readFile = Effect.fnUntraced(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(file).pipe(
    Effect.asSome,
    Effect.catchReason("PlatformError", "NotFound", () => Effect.succeedNone),
    Effect.catchReason("PlatformError", "BadResource", () =>
      Effect.fail(
        new ConfigInvalid({
          source: file,
          reason: "cannot be read: the queue dir is not a directory, or this is not a file"
        })
      )
    ),
    Effect.mapError((e) => (e instanceof ConfigInvalid ? e : new ConfigInvalid({ source: file, reason: e.message })))
  )
  if (Option.isNone(text)) return undefined
  const json = yield* Schema.decodeEffect(FileJson)(text.value).pipe(
    Effect.mapError(() => new ConfigInvalid({ source: file, reason: "expected a JSON object" }))
  )
  const byKey = new Map(settingNames.flatMap((n) => (settingOf(n).fileKey ? [[settingOf(n).fileKey, n] as const] : [])))
  const unknown = Object.keys(json).filter((k) => !byKey.has(k))
  if (unknown.length > 0) {
    const known = [...byKey.keys()].join(", ")
    return yield* new ConfigInvalid({
      source: file,
      reason: `unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${known})`
    })
  }
  const out: Partial<Record<SettingName, unknown>> = {}
  for (const [key, value] of Object.entries(json)) {
    const n = byKey.get(key)
    if (n !== undefined) out[n] = yield* decodeAs(n, value, `${file}: "${key}"`)
  }
  return out
})

/** The flags' values (each through its setting's Schema, so `--max-parallel 0` is refused like the env's). */
const readFlags = Effect.fnUntraced(function* (flags: FlagValues) {
  const out: Partial<Record<SettingName, unknown>> = {}
  for (const n of settingNames) {
    const given = flags[n]
    if (given !== undefined && Option.isSome(given)) out[n] = yield* decodeAs(n, given.value, `--${settingOf(n).flag}`)
  }
  return out
})

/** What the CLI knows before the settings are read: the command's flags. */
export interface ConfigInput {
  readonly flags?: FlagValues
  /** Read `<queue dir>/taskq.json` (false for commands that have no queue). */
  readonly readQueueFile?: boolean
}

type Found = Partial<Record<SettingName, unknown>>

/** The winner for each setting: flag > environment > queue/taskq.json > built-in default. */
const layered = (n: SettingName, flags: Found, env: Found, file: Found): readonly [Origin, unknown] =>
  n in flags
    ? ["flag", flags[n]]
    : n in env
      ? ["env", env[n]]
      : n in file
        ? ["file", file[n]]
        : ["default", settingOf(n).default]

const combine = (flags: Found, env: Found, file: Found | undefined, fileName: string | undefined) => {
  const values: Record<string, unknown> = {}
  const origins: Record<string, Origin> = {}
  for (const n of settingNames) {
    const [origin, value] = layered(n, flags, env, file ?? {})
    values[n] = value
    origins[n] = origin
  }
  return { values, origins, file: file === undefined ? undefined : fileName } as ResolvedConfig
}

/** Resolves every setting from the command's flags, the environment and `<queue dir>/taskq.json`. */
export const resolveConfig = Effect.fnUntraced(function* (input: ConfigInput = {}) {
  const path = yield* Path.Path
  const fromFlags = yield* readFlags(input.flags ?? {})
  const fromEnv = yield* readEnvironment
  if (input.readQueueFile === false) return combine(fromFlags, fromEnv, undefined, undefined)
  // the queue dir decides where taskq.json is, so it cannot come from there
  const queueDir = String(layered("queueDir", fromFlags, fromEnv, {})[1])
  const file = path.join(path.resolve(queueDir), "taskq.json")
  return combine(fromFlags, fromEnv, yield* readFile(file), file)
})

/** The environment's values over the built-in defaults (no flags, no taskq.json). */
export const resolveFromEnvironment = Effect.map(readEnvironment, (env) => combine({}, env, undefined, undefined))
