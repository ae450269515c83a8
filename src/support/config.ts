/**
 * TaskqConfig: every setting of taskq, in the one table `settings` below, read once.
 *
 * A value comes from the first of: its flag (`taskq run --max-parallel 3`), its environment variable
 * (`TASKQ_MAX_PARALLEL`), the queue's `queue/taskq.json` (`{"max-parallel": 3}`), the built-in
 * default. A bad value anywhere (an unparsable variable, an unknown key in taskq.json, a flag out of
 * range) is one `ConfigInvalid` naming where it came from, never a silent default.
 *
 * Adding a setting is one line in `settings`: `runSetting(...)` gives it a `taskq run` flag, the
 * variable `TASKQ_<FLAG>` and a key in taskq.json; `envSetting(...)` only a variable; `fileSetting`
 * only a key in taskq.json. Read it with `(yield* TaskqConfig).values.<name>`.
 */
import { Config, Context, Effect, FileSystem, Layer, Option, Path, Result, Schema } from "effect"
import { CliError, Flag } from "effect/cli"
import { DEFAULT_IMAGE } from "../core/constants.js"
import { type Step, StepList } from "../core/steps.js"
import { DEFAULT_QUEUE_DIR } from "./paths.js"

/** Where an effective value came from. */
export type Origin = "flag" | "env" | "file" | "default"

/** The type of a setting's values: how to decode one, what to say when it is bad, its flag. */
export interface Kind<A> {
  readonly schema: Schema.Codec<A, unknown>
  readonly expected: string
  readonly flag: (name: string) => Flag.Flag<A>
  /** How `taskq config` shows a value (e.g. without a password), when not as is. */
  readonly redact?: (a: A) => string
}

const withCheck = <A>(base: Schema.Codec<A, unknown>, ok: (a: A) => boolean): Schema.Codec<A, unknown> =>
  base.check(Schema.makeFilter((a: A) => ok(a)))

/** The kinds of setting values. */
export const kinds = {
  int: (min: number): Kind<number> => ({
    schema: withCheck(Schema.Int, (n) => n >= min),
    expected: `an integer >= ${min}`,
    flag: Flag.Int
  }),
  anyInt: { schema: Schema.Int, expected: "an integer", flag: Flag.Int } satisfies Kind<number>,
  positive: { schema: withCheck(Schema.Finite, (n) => n > 0), expected: "a number > 0", flag: Flag.Finite },
  text: { schema: Schema.NonEmptyString, expected: "a non-empty string", flag: Flag.String } satisfies Kind<string>,
  anyText: { schema: Schema.String, expected: "a string", flag: Flag.String } satisfies Kind<string>,
  bool: { schema: Schema.Boolean, expected: "true or false", flag: Flag.Boolean } satisfies Kind<boolean>,
  oneOf: <const L extends ReadonlyArray<string>>(literals: L): Kind<L[number]> => ({
    schema: Schema.Literals(literals),
    expected: `one of ${literals.join(", ")}`,
    flag: (name) => Flag.Literals(name, literals)
  }),
  postgresUrl: {
    schema: withCheck(Schema.String, (s) => /^postgres(ql)?:\/\//.test(s)),
    expected: "a postgres:// URL",
    flag: Flag.String,
    redact: (url) => url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, "$1:***@")
  } satisfies Kind<string>,
  follow: {
    schema: Schema.Literals(["off", "agent", "raw"]),
    expected: "off, agent or raw",
    flag: (name) => Flag.Literals(name, ["agent", "raw", "off"]).pipe(Flag.withOptionalValue("agent"))
  } satisfies Kind<"off" | "agent" | "raw">,
  steps: {
    schema: StepList,
    expected: "a non-empty list of steps {agent, model provider/model, variant, command, prompt}",
    flag: (name) => Flag.String(name).pipe(Flag.withSchema(Schema.fromJsonString(StepList)))
  } satisfies Kind<ReadonlyArray<Step>>,
  unixSocket: {
    schema: withCheck(Schema.String, (s) => /^unix:\/\/\/./.test(s)),
    expected: "a unix socket URL, unix:///path",
    flag: Flag.String
  } satisfies Kind<string>
}

/** One setting. `D` is the default's type: `undefined` for a setting that may be unset. */
export interface Setting<A, D extends A | undefined = A> {
  readonly kind: Kind<A>
  readonly default: D
  readonly doc: string
  /** The flag's name (without `--`), when it has one. */
  readonly flag?: string
  /** The environment variable, when it has one. */
  readonly env?: string
  /** The key in `queue/taskq.json`, when it may be set there. */
  readonly fileKey?: string
}

const envNameOf = (flag: string) => `TASKQ_${flag.toUpperCase().replace(/-/g, "_")}`

/** A `taskq run` setting: flag `--name`, variable `TASKQ_NAME`, key `name` in taskq.json. */
export const runSetting = <A, D extends A | undefined>(name: string, kind: Kind<A>, def: D, doc: string) =>
  ({ kind, default: def, doc, flag: name, env: envNameOf(name), fileKey: name }) satisfies Setting<A, D>
/** A setting of the environment only. */
export const envSetting = <A, D extends A | undefined>(env: string, kind: Kind<A>, def: D, doc: string) =>
  ({ kind, default: def, doc, env }) satisfies Setting<A, D>
/** A setting of `queue/taskq.json` only. */
export const fileSetting = <A, D extends A | undefined>(key: string, kind: Kind<A>, def: D, doc: string) =>
  ({ kind, default: def, doc, fileKey: key }) satisfies Setting<A, D>

/** Every setting of taskq. One line each; the order is the order `taskq config` prints. */
export const settings = {
  queueDir: {
    kind: kinds.text,
    default: DEFAULT_QUEUE_DIR,
    doc: "Queue root",
    flag: "queue-dir",
    env: "TASKQ_QUEUE_DIR"
  } satisfies Setting<string>,
  maxParallel: runSetting("max-parallel", kinds.int(1), 1, "Tasks running at once"),
  image: runSetting("image", kinds.text, DEFAULT_IMAGE, "Worker image"),
  idleTimeout: runSetting("idle-timeout", kinds.int(1), 600, "Seconds without agent activity before a task fails"),
  timeout: runSetting("timeout", kinds.int(1), 3600, "Seconds an agent may run in all"),
  readyTimeout: runSetting("ready-timeout", kinds.int(1), 120, "Seconds for a task's OpenCode server to come up"),
  onAsk: runSetting("on-ask", kinds.oneOf(["deny", "fail", "allow"]), "deny", "Answer to a permission request"),
  cleanupOnFail: runSetting("cleanup-on-fail", kinds.bool, false, "Remove a failed task's containers and worktree"),
  dirtyRun: runSetting("dirty-run", kinds.bool, false, "Reuse a task's existing worktree; remove stale containers"),
  keepRunning: runSetting("keep-running", kinds.bool, false, "Keep a task's container up while it is in review"),
  follow: runSetting(
    "follow",
    kinds.follow,
    "off",
    "Show each task's agent at work (--follow), or its container's log (--follow=raw)"
  ),
  hostConfig: runSetting("host-config", kinds.bool, true, "Copy your OpenCode config dir into each attempt"),
  hostAuth: runSetting("host-auth", kinds.bool, true, "Copy your OpenCode login (auth.json) into each attempt"),
  memoryMb: runSetting("memory-mb", kinds.int(0), 4096, "Memory limit of each task container, MiB; 0: none"),
  cpus: runSetting("cpus", kinds.positive, undefined, "CPU limit of each task container, e.g. 1.5"),
  pidsLimit: runSetting("pids-limit", kinds.int(0), 2048, "Process limit of each task container; 0: none"),
  network: runSetting(
    "network",
    kinds.oneOf(["isolated", "bridge"]),
    "isolated",
    "Network of task containers: isolated (no traffic between tasks) or bridge (Docker's default)"
  ),
  steps: fileSetting<ReadonlyArray<Step>, undefined>(
    "steps",
    kinds.steps,
    undefined,
    "The steps of tasks that have none of their own"
  ),
  drainTimeout: runSetting(
    "drain-timeout",
    kinds.int(0),
    300,
    "With --poll: seconds SIGTERM waits for tasks in flight"
  ),
  queueUrl: {
    kind: kinds.postgresUrl,
    default: undefined,
    doc: "A shared queue in PostgreSQL instead of the queue dir",
    flag: "queue-url",
    env: "TASKQ_QUEUE_URL"
  } satisfies Setting<string, undefined>,
  leaseSeconds: envSetting("TASKQ_LEASE_SECONDS", kinds.int(3), 60, "Seconds a runner's claim on a PG task lasts"),
  envAllow: envSetting(
    "TASKQ_ENV_ALLOW",
    kinds.anyText,
    "",
    "The host variables a task container gets, replacing the default list (none: nothing)"
  ),
  envAllowAdd: envSetting("TASKQ_ENV_ALLOW_ADD", kinds.anyText, "", "More host variables a task container gets"),
  openchamber: envSetting("TASKQ_OPENCHAMBER", kinds.text, undefined, "The OpenChamber executable for review"),
  dockerDir: envSetting("TASKQ_DOCKER_DIR", kinds.text, undefined, "The folder holding the worker Dockerfile"),
  maxTaskFileBytes: envSetting("TASKQ_MAX_TASK_FILE_BYTES", kinds.int(1), 1048576, "Largest task file, bytes"),
  lockStaleMs: envSetting("TASKQ_LOCK_STALE_MS", kinds.int(2000), 10_000, "Ms after which a silent lock is stale"),
  dockerHost: envSetting("DOCKER_HOST", kinds.unixSocket, "unix:///var/run/docker.sock", "The Docker engine")
}

export type Settings = typeof settings
export type SettingName = keyof Settings
type ValueOf<S> = S extends Setting<infer A, infer D> ? A | D : never
/** The effective value of every setting. */
export type SettingValues = { readonly [K in SettingName]: ValueOf<Settings[K]> }
/** What the flags of a command said: a value per flag given, keyed by setting name. */
export type FlagValues = { readonly [K in SettingName]?: Option.Option<unknown> }

const names = Object.keys(settings) as ReadonlyArray<SettingName>
const entry = (name: SettingName): Setting<unknown, unknown> => settings[name] as Setting<unknown, unknown>

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

const show = (value: unknown) => (typeof value === "string" ? JSON.stringify(value) : String(value))

const decodeAs = (name: SettingName, value: unknown, source: string): Effect.Effect<unknown, ConfigInvalid> => {
  const s = entry(name)
  return Result.match(Schema.decodeUnknownResult(s.kind.schema)(value), {
    onSuccess: Effect.succeed,
    onFailure: () => Effect.fail(new ConfigInvalid({ source, reason: `${show(value)} is not ${s.kind.expected}` }))
  })
}

/** The environment's values, read in one `Config.all` (so tests can swap the `ConfigProvider`). */
const readEnvironment = Effect.gen(function* () {
  const withEnv = names.flatMap((n) => {
    const env = entry(n).env
    return env === undefined ? [] : [[n, env] as const]
  })
  const typed = (n: SettingName, env: string) => Config.option(Config.schema(entry(n).kind.schema, env))
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
    const ok = yield* Config.schema(entry(n).kind.schema, env).pipe(Config.option, Effect.isSuccess)
    if (ok) continue
    const raw = yield* Config.String(env).pipe(Effect.orElseSucceed(() => ""))
    return yield* new ConfigInvalid({ source: `${env}=${show(raw)}`, reason: `expected ${entry(n).kind.expected}` })
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
    Effect.mapError((e) => new ConfigInvalid({ source: file, reason: e.message }))
  )
  if (Option.isNone(text)) return undefined
  const json = yield* Schema.decodeEffect(FileJson)(text.value).pipe(
    Effect.mapError(() => new ConfigInvalid({ source: file, reason: "expected a JSON object" }))
  )
  const byKey = new Map(names.flatMap((n) => (entry(n).fileKey ? [[entry(n).fileKey, n] as const] : [])))
  const unknown = Object.keys(json).filter((k) => !byKey.has(k))
  if (unknown.length > 0) {
    return yield* new ConfigInvalid({
      source: file,
      reason: `unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${[...byKey.keys()].join(", ")})`
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
  for (const n of names) {
    const given = flags[n]
    if (given !== undefined && Option.isSome(given)) out[n] = yield* decodeAs(n, given.value, `--${entry(n).flag}`)
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
        : ["default", entry(n).default]

const combine = (flags: Found, env: Found, file: Found | undefined, fileName: string | undefined) => {
  const values: Record<string, unknown> = {}
  const origins: Record<string, Origin> = {}
  for (const n of names) {
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

/** The effective settings of this run of taskq. */
export class TaskqConfig extends Context.Service<TaskqConfig, ResolvedConfig>()("taskq/support/TaskqConfig") {
  /** Environment and built-in defaults (no flags, no taskq.json): for tests and tools. */
  static readonly layer = Layer.effect(
    TaskqConfig,
    Effect.map(readEnvironment, (env) => combine({}, env, undefined, undefined))
  )
  /** What the CLI uses: the command's flags, the environment, the queue's taskq.json, the defaults. */
  static readonly layerFrom = (input: ConfigInput) => Layer.effect(TaskqConfig, resolveConfig(input))
  /** The built-in defaults with `overrides`; reads nothing. */
  static readonly layerTest = (overrides: Partial<SettingValues> = {}) =>
    Layer.succeed(TaskqConfig, {
      values: { ...defaults(), ...overrides },
      origins: Object.fromEntries(
        names.map((n) => [n, n in overrides ? "flag" : "default"])
      ) as ResolvedConfig["origins"],
      file: undefined
    })
}

const defaults = (): SettingValues => Object.fromEntries(names.map((n) => [n, entry(n).default])) as SettingValues

/**
 * The flags of the settings that have one among `which`, each optional (absent = not given), for a
 * command's flag record; the handler passes what it got to `TaskqConfig.layerFrom({ flags })`.
 */
export const settingFlags = <const K extends SettingName>(which: ReadonlyArray<K>) => {
  const out: Partial<Record<K, Flag.Flag<Option.Option<unknown>>>> = {}
  for (const n of which) {
    const s = entry(n)
    if (s.flag === undefined) continue
    const env = s.env ? `$${s.env}, ` : ""
    const def = s.default === undefined ? "unset" : show(s.default)
    out[n] = s.kind
      .flag(s.flag)
      .pipe(
        Flag.withDescription(`${s.doc} (default: ${env}${s.fileKey ? "taskq.json, " : ""}else ${def})`),
        Flag.optional
      )
  }
  return out as Record<K, Flag.Flag<Option.Option<unknown>>>
}

/** Names of the settings that `taskq run` takes as flags. */
export const runSettingNames = names.filter((n) => entry(n).fileKey !== undefined && entry(n).flag !== undefined)

/** One row per setting for `taskq config`: name, value, origin, and how to set it. */
export const describeConfig = (c: ResolvedConfig) =>
  names.map((n) => {
    const s = entry(n)
    return {
      name: n,
      value: s.kind.redact && typeof c.values[n] === "string" ? s.kind.redact(c.values[n]) : c.values[n],
      origin: c.origins[n],
      ...(s.flag ? { flag: `--${s.flag}` } : {}),
      ...(s.env ? { env: s.env } : {}),
      ...(s.fileKey ? { file_key: s.fileKey } : {}),
      doc: s.doc
    }
  })
