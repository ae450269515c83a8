/**
 * The box around one attempt, beyond its mounts: the network it joins, its resource limits and its
 * secrets (SPEC §4; README "Security model").
 */
import { Effect } from "effect"
import { Docker } from "../adapters/Docker.js"
import { StageError } from "../core/errors.js"
import { writeAttemptSecrets } from "../support/attemptSecrets.js"
import { agentEnv } from "./agentEnv.js"

/**
 * - `isolated` (default): taskq's own bridge network with inter-container traffic disabled — the
 *   agent reaches the internet and the host (its model), not other tasks' containers;
 * - `bridge`: Docker's default bridge, where containers reach each other (taskq before 0.2).
 */
export const NETWORK_MODES = ["isolated", "bridge"] as const
export type NetworkMode = (typeof NETWORK_MODES)[number]
export const ISOLATED_NETWORK = "taskq-isolated"
/** The isolated network's interface on the host, for firewall rules (README "Security model"). */
export const ISOLATED_BRIDGE = "taskq0"

/** The network a task container joins in `mode`, created on demand. */
export const taskNetwork = Effect.fnUntraced(function* (mode: NetworkMode) {
  if (mode === "bridge") return "bridge"
  yield* (yield* Docker).ensureIsolatedNetwork(ISOLATED_NETWORK, ISOLATED_BRIDGE)
  return ISOLATED_NETWORK
})

export interface ContainerLimits {
  readonly memoryBytes?: number
  readonly nanoCpus?: number
  readonly pidsLimit?: number
}
export const DEFAULT_MEMORY_MB = 4096
export const DEFAULT_PIDS_LIMIT = 2048

/** The limits a container gets: the given ones, else 4 GiB of memory and 2048 processes; 0 = unlimited. */
export const containerLimits = (given: ContainerLimits = {}): ContainerLimits => ({
  memoryBytes: given.memoryBytes ?? DEFAULT_MEMORY_MB * 1024 * 1024,
  pidsLimit: given.pidsLimit ?? DEFAULT_PIDS_LIMIT,
  ...(given.nanoCpus !== undefined && given.nanoCpus > 0 ? { nanoCpus: given.nanoCpus } : {})
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
