/** The agent's configuration for one attempt: the user's template merged with what taskq enforces. */
import { Effect, FileSystem } from "effect"
import { InvalidInput } from "../core/errors.js"

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

/** Reads the template at `file` (absent: empty); a template that is not a JSON object is an error. */
export const readTemplate = Effect.fnUntraced(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  if (!(yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false)))) return {}
  const text = yield* fs
    .readFileString(file)
    .pipe(Effect.mapError((e) => new InvalidInput({ reason: `${file}: ${e.message}` })))
  const parsed = yield* Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (e) =>
      new InvalidInput({ reason: `${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})` })
  })
  if (!isObject(parsed))
    return yield* new InvalidInput({ reason: `${file}: the agent config template must be a JSON object` })
  return parsed
})
