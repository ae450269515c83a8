/** The environment allow-list: only these host variables ever reach a task container. */

/** Provider credentials and the few settings an agent legitimately needs from the host. */
export const DEFAULT_ENV_ALLOW_LIST: ReadonlyArray<string> = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "OPENROUTER_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_GENERATIVE_AI_API_KEY",
  "GROQ_API_KEY",
  "MISTRAL_API_KEY",
  "DEEPSEEK_API_KEY",
  "XAI_API_KEY",
  "TOGETHER_API_KEY",
  "FIREWORKS_API_KEY",
  "AZURE_OPENAI_API_KEY",
  "AZURE_RESOURCE_NAME",
  "OPENCODE_API_KEY",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "TZ"
]

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Names in a comma or space separated list, split into valid variable names and the rest. */
export const parseAllowList = (
  value: string | undefined
): { readonly names: ReadonlyArray<string>; readonly invalid: ReadonlyArray<string> } => {
  const words = (value ?? "").split(/[\s,]+/).filter((s) => s !== "")
  return { names: words.filter((w) => NAME.test(w)), invalid: words.filter((w) => !NAME.test(w)) }
}

/**
 * The names that may reach a container: `allow` (`TASKQ_ENV_ALLOW`) replaces the default list when it
 * is set (`none`: no names; empty is the same as unset); `add` (`TASKQ_ENV_ALLOW_ADD`) extends whichever
 * list is in force.
 */
export const allowList = (
  allow: string | undefined,
  add: string | undefined
): { readonly names: ReadonlyArray<string>; readonly invalid: ReadonlyArray<string> } => {
  const base =
    allow === undefined || allow.trim() === ""
      ? { names: DEFAULT_ENV_ALLOW_LIST, invalid: [] }
      : allow.trim() === "none"
        ? { names: [], invalid: [] }
        : parseAllowList(allow)
  const extra = parseAllowList(add)
  return { names: [...new Set([...base.names, ...extra.names])], invalid: [...base.invalid, ...extra.invalid] }
}

/** The allow-listed subset of `env`, dropping unset values. */
export const filterEnv = (
  env: Readonly<Record<string, string | undefined>>,
  allow: ReadonlyArray<string> = DEFAULT_ENV_ALLOW_LIST
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name of allow) {
    const value = env[name]
    if (value !== undefined) out[name] = value
  }
  return out
}
