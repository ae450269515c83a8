/**
 * What an attempt's box needs before its container is created: its secrets written, its network
 * there. The box itself is decided in `adapters/containerBox.ts` (SPEC §4; README "Security model").
 */
import { Effect } from "effect"
import { Docker } from "../adapters/Docker.js"
import { ISOLATED_BRIDGE, ISOLATED_NETWORK, type NetworkMode } from "../adapters/containerBox.js"
import { StageError } from "../core/errors.js"
import { writeAttemptSecrets } from "../support/attemptSecrets.js"
import { agentEnv } from "./agentEnv.js"

/** The network a task container joins in `mode`, created on demand. */
export const taskNetwork = Effect.fnUntraced(function* (mode: NetworkMode) {
  if (mode === "bridge") return "bridge"
  yield* (yield* Docker).ensureIsolatedNetwork(ISOLATED_NETWORK, ISOLATED_BRIDGE)
  return ISOLATED_NETWORK
})

/**
 * Prepares the attempt's box before its dirs are handed over: the allow-listed host variables and a
 * fresh server password go into the attempt's 0600 env file; the network exists.
 */
export const prepareIsolation = Effect.fnUntraced(function* (attemptDir: string, mode: NetworkMode) {
  const env = yield* agentEnv.pipe(
    Effect.mapError((e) => new StageError({ stage: "setup", exitCode: 1, stdout: "", stderr: e.message }))
  )
  const secrets = yield* writeAttemptSecrets(attemptDir, env).pipe(
    Effect.mapError(
      (e) =>
        new StageError({
          stage: "setup",
          exitCode: 1,
          stdout: "",
          stderr: `writing the attempt's secrets: ${e.message}`
        })
    )
  )
  const network = yield* taskNetwork(mode)
  return { ...secrets, network }
})
