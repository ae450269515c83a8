/** The host variables a task container gets: the allow-listed ones only. */
import { Config, Effect } from "effect"
import { InvalidInput } from "../core/errors.js"
import { TaskqConfig } from "../support/config.js"
import { allowList, filterEnv } from "../support/env.js"

const read = (name: string) =>
  Config.String(name).pipe(
    Config.option,
    Effect.map((o) => (o._tag === "Some" ? o.value : undefined)),
    Effect.orElseSucceed(() => undefined)
  )

/**
 * The allow-listed host variables that are set: `TASKQ_ENV_ALLOW` replaces the default list (`none`:
 * nothing), `TASKQ_ENV_ALLOW_ADD` adds names to it. A name that is not a variable name is an error.
 */
export const agentEnv = Effect.gen(function* () {
  const { envAllow, envAllowAdd } = (yield* TaskqConfig).values
  const list = allowList(envAllow, envAllowAdd)
  if (list.invalid.length > 0)
    return yield* new InvalidInput({
      reason:
        "TASKQ_ENV_ALLOW/TASKQ_ENV_ALLOW_ADD: not variable names: " +
        list.invalid.map((n) => JSON.stringify(n)).join(", ")
    })
  const values: Record<string, string | undefined> = {}
  for (const name of list.names) values[name] = yield* read(name)
  return filterEnv(values, list.names)
})
