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

/** Extra names (comma or space separated) a user allows through `TASKQ_ENV_ALLOW`. */
export const parseAllowList = (value: string | undefined): ReadonlyArray<string> =>
  (value ?? "").split(/[\s,]+/).filter((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s))

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
