/**
 * Machine-wide faults are caught before any task is claimed: an unreachable engine, a missing
 * worker image, or an agent without a usable model would otherwise fail every task in turn, each
 * spending an attempt and leaving a worktree. On a failed check `run` stops with one line and every
 * task stays `todo` with its attempt unchanged.
 */
import { Effect, FileSystem, Path, Schema } from "effect"
import { CliError } from "effect/cli"
import { DEFAULT_IMAGE } from "../core/constants.js"
import { Docker } from "../adapters/Docker.js"
import { QueuePaths } from "../support/paths.js"
import { DEFAULT_ENV_ALLOW_LIST } from "../support/env.js"
import { agentEnv } from "./agentEnv.js"
import { deepMerge, hostSetup, type JsonObject, mergeAgentConfig, readTemplate } from "./agentConfig.js"
import { CONFIG_FILES, hostOpenCodeDirs } from "./hostOpenCode.js"

/** A check that must pass before `run` claims anything. */
export class PreflightFailed extends Schema.TaggedError<PreflightFailed>()("PreflightFailed", {
  check: Schema.Literals(["engine", "image", "model"]),
  reason: Schema.String
}) {
  override get message() {
    return `cannot run tasks: ${this.reason}`
  }
  override get [CliError.userMessage]() {
    return this.message
  }
}

/** The environment variables OpenCode reads a provider's key from (models.dev's `env` of each provider). */
export const PROVIDER_ENV: Readonly<Record<string, ReadonlyArray<string>>> = {
  anthropic: ["ANTHROPIC_API_KEY"],
  openai: ["OPENAI_API_KEY"],
  openrouter: ["OPENROUTER_API_KEY"],
  google: ["GOOGLE_GENERATIVE_AI_API_KEY", "GEMINI_API_KEY"],
  groq: ["GROQ_API_KEY"],
  mistral: ["MISTRAL_API_KEY"],
  deepseek: ["DEEPSEEK_API_KEY"],
  xai: ["XAI_API_KEY"],
  togetherai: ["TOGETHER_API_KEY"],
  "fireworks-ai": ["FIREWORKS_API_KEY"],
  azure: ["AZURE_OPENAI_API_KEY"],
  opencode: ["OPENCODE_API_KEY"]
}

/** Everything the agent will see that can hold a provider's credentials. */
export interface CredentialSources {
  /** The agent's merged config (what the attempt's opencode.json will hold). */
  readonly config: JsonObject
  /** Where that config comes from, for the message (e.g. `queue/opencode.json`). */
  readonly configFile: string
  /** The environment the container gets (allow-listed host variables). */
  readonly env: Readonly<Record<string, string>>
  /** The `auth.json` the agent gets (the host's login, copied per attempt), if any. */
  readonly authFile?: string | undefined
  /** The providers with a login in that file. */
  readonly authProviders: ReadonlyArray<string>
}

export type CredentialCheck =
  | { readonly _tag: "Ok"; readonly model: string | undefined; readonly provider: string; readonly via: string }
  | { readonly _tag: "Missing"; readonly reason: string }

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined)

/** How `provider` gets its key, or undefined when the agent would have none. */
export const credentialOf = (sources: CredentialSources, provider: string): string | undefined => {
  const providers = isObject(sources.config.provider) ? sources.config.provider : {}
  const entry = providers[provider]
  const options = isObject(entry) && isObject(entry.options) ? entry.options : {}
  const apiKey = str(options.apiKey)
  if (apiKey !== undefined) {
    // `{env:NAME}` is read inside the container: NAME must reach it
    const ref = apiKey.match(/^\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/)?.[1]
    if (ref === undefined) return `${sources.configFile} provider.${provider}.options.apiKey`
    return sources.env[ref] !== undefined ? `$${ref} (via provider.${provider}.options.apiKey)` : undefined
  }
  const declared = isObject(entry) && Array.isArray(entry.env) ? entry.env.filter((e) => typeof e === "string") : []
  const names = [...(PROVIDER_ENV[provider] ?? []), ...declared]
  const inEnv = names.find((n) => sources.env[n] !== undefined)
  if (inEnv !== undefined) return `$${inEnv}`
  if (sources.authProviders.includes(provider)) return `the login for ${provider} in auth.json`
  return undefined
}

/**
 * Whether the agent has a model it can call: the configured `model`'s provider has a key (an
 * apiKey in the config, an allow-listed environment variable, or an auth.json login); without a
 * `model`, at least one provider has one (OpenCode then picks that provider's default model).
 */
export const checkCredentials = (sources: CredentialSources): CredentialCheck => {
  const model = str(sources.config.model)
  const hint = (provider: string) => {
    const names = PROVIDER_ENV[provider] ?? []
    const env = names.length > 0 ? `set ${names.join(" or ")}, or ` : ""
    const login = sources.authFile !== undefined ? `, or log in with \`opencode auth login\`` : ""
    return `${env}put an apiKey in provider.${provider}.options of ${sources.configFile}${login}`
  }
  if (model !== undefined) {
    const provider = model.split("/")[0] ?? model
    if (!model.includes("/"))
      return {
        _tag: "Missing",
        reason: `the model "${model}" in ${sources.configFile} is not of the form provider/model`
      }
    const via = credentialOf(sources, provider)
    if (via === undefined)
      return {
        _tag: "Missing",
        reason: `the model ${model} has no credentials for its provider ${provider}: ${hint(provider)}`
      }
    return { _tag: "Ok", model, provider, via }
  }
  const configured = isObject(sources.config.provider) ? Object.keys(sources.config.provider) : []
  const candidates = [...new Set([...configured, ...Object.keys(PROVIDER_ENV), ...sources.authProviders])]
  for (const provider of candidates) {
    const via = credentialOf(sources, provider)
    if (via !== undefined) return { _tag: "Ok", model: undefined, provider, via }
  }
  const known = DEFAULT_ENV_ALLOW_LIST.filter((n) => n.endsWith("_API_KEY")).slice(0, 3)
  return {
    _tag: "Missing",
    reason:
      `no model configured: set "model": "provider/model" in ${sources.configFile} and give the provider a key ` +
      `(e.g. ${known.join(", ")}, an apiKey in the provider's options, or \`opencode auth login\` on this ` +
      `host, whose login taskq copies)`
  }
}

const AuthProviders = Schema.fromJsonString(Schema.Record(Schema.String, Schema.Unknown))

/**
 * What the agent of an attempt would see, read the way `bootstrapAttempt` assembles it: the host's
 * config files (unless --no-host-config) < queue/opencode.json < taskq's keys, the host's auth.json
 * (unless --no-host-auth), and the allow-listed environment.
 */
export const credentialSources = Effect.fnUntraced(function* (options: {
  readonly hostConfig?: boolean
  readonly hostAuth?: boolean
}) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const q = yield* QueuePaths
  const host = yield* hostOpenCodeDirs
  const setup = hostSetup(options)
  const exists = (p: string) => fs.exists(p).pipe(Effect.orElseSucceed(() => false))
  const files: Array<string> = []
  if (setup.hostConfig && host.configDir !== undefined)
    for (const name of CONFIG_FILES) files.push(path.join(host.configDir, name))
  files.push(q.agentConfigTemplate)
  const layers: Array<JsonObject> = []
  for (const file of files) if (yield* exists(file)) layers.push(yield* readTemplate(file))
  const authFile = setup.hostAuth && host.dataDir !== undefined ? path.join(host.dataDir, "auth.json") : undefined
  const logins =
    authFile !== undefined && (yield* exists(authFile))
      ? yield* fs.readFileString(authFile).pipe(
          Effect.flatMap(Schema.decodeUnknownEffect(AuthProviders)),
          Effect.orElseSucceed(() => ({}))
        )
      : {}
  return {
    config: mergeAgentConfig(layers.reduce(deepMerge, {})),
    configFile: q.agentConfigTemplate,
    env: yield* agentEnv,
    authFile,
    authProviders: Object.keys(logins)
  } satisfies CredentialSources
})

/** Engine reachable, image present, a model with credentials; else `PreflightFailed` naming what to do. */
export const preflight = Effect.fn("preflight")(function* (options: {
  readonly image: string
  readonly hostConfig?: boolean
  readonly hostAuth?: boolean
}) {
  const docker = yield* Docker
  yield* docker.ping.pipe(Effect.mapError((e) => new PreflightFailed({ check: "engine", reason: e.message })))
  const exists = yield* docker
    .imageExists(options.image)
    .pipe(Effect.mapError((e) => new PreflightFailed({ check: "image", reason: e.message })))
  if (!exists) {
    const build = options.image === DEFAULT_IMAGE ? "taskq build-image" : `taskq build-image --tag ${options.image}`
    return yield* new PreflightFailed({
      check: "image",
      reason: `the worker image ${options.image} does not exist: run \`${build}\``
    })
  }
  const sources = yield* credentialSources(options).pipe(
    Effect.mapError((e) => new PreflightFailed({ check: "model", reason: e.message }))
  )
  const check = checkCredentials(sources)
  if (check._tag === "Missing") return yield* new PreflightFailed({ check: "model", reason: check.reason })
  return check
})
