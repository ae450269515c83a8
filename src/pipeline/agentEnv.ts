/** The environment a task container gets: allow-listed host variables only. */
import { Config, Effect } from "effect"
import { TaskqConfig } from "../support/config.js"
import { DEFAULT_ENV_ALLOW_LIST, filterEnv, parseAllowList } from "../support/env.js"

const read = (name: string) =>
  Config.String(name).pipe(
    Config.option,
    Effect.map((o) => (o._tag === "Some" ? o.value : undefined)),
    Effect.orElseSucceed(() => undefined)
  )

/** The allow-listed host variables (`TASKQ_ENV_ALLOW` adds names) that are set. */
export const agentEnv = Effect.gen(function* () {
  const names = [...DEFAULT_ENV_ALLOW_LIST, ...parseAllowList((yield* TaskqConfig).values.envAllow)]
  const values: Record<string, string | undefined> = {}
  for (const name of names) values[name] = yield* read(name)
  return filterEnv(values, names)
})
