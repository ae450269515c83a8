/**
 * The box around a task's agent, every decision in one place (SPEC §3-§4, README "Security model").
 * The agent's tool calls are attacker-controlled, so this file is what stands between them and the host:
 * - who it runs as: the `uid:gid` of `ContainerSpec.user`, never chosen by the image;
 * - what it may do: every capability dropped, `no-new-privileges` (no setuid way back), docker's init
 *   as PID 1;
 * - what it sees: its worktree, its attempt's OpenCode config and data dirs, the git mounts of
 *   `Git.prepareBox`, and its secrets only as a read-only env file (never `-e`: that shows in `docker
 *   inspect`);
 * - how it is reached: its one port published on the host's 127.0.0.1 only, which no container reaches;
 * - what it reaches: the network it joins (taskq's bridge with inter-container traffic off, checked
 *   before use) and the host as `host.docker.internal`;
 * - how much it may use: memory without swap beyond it, processes, CPUs.
 * `ContainerSpec` is the one input; `createOptions` turns it into the engine's request, and the Docker
 * adapter creates task containers only through it, so no caller can weaken a flag.
 * Inputs decided beside it: which uid (`support/user.ts`: the invoking user, the repository's owner
 * under root), which host variables go in the env file (`support/env.ts`, written 0600 by
 * `support/attemptSecrets.ts`), what the git mounts hold (`adapters/gitBox.ts`), which network mode
 * a run asks for (`--network`, created by `pipeline/isolation.ts`).
 */
import type DockerClient from "dockerode"
import { AGENT_PORT } from "../core/constants.js"
import { ATTEMPT_LABEL, containerName, TASK_LABEL } from "../core/naming.js"
import type { TaskRecord } from "../core/task.js"
import { CONTAINER_ENV_PATH } from "../support/attemptSecrets.js"
import type { ContainerUser } from "../support/user.js"

export interface BindMount {
  readonly host: string
  readonly container: string
  readonly readOnly?: boolean
}

/** Resource limits; 0 means unlimited. */
export interface ContainerLimits {
  readonly memoryBytes?: number
  readonly nanoCpus?: number
  readonly pidsLimit?: number
}

/** One container's box: the only thing the Docker adapter takes to create a container. */
export interface ContainerSpec {
  readonly name: string
  readonly image: string
  readonly labels: Readonly<Record<string, string>>
  /** `uid:gid` the container runs as. */
  readonly user: string
  /** Visible in `docker inspect`: no secrets here (they go in the env file). */
  readonly env: Readonly<Record<string, string>>
  readonly binds: ReadonlyArray<BindMount>
  readonly workdir?: string
  /** Overrides the image's entrypoint and command (tests, probes). */
  readonly entrypoint?: ReadonlyArray<string>
  readonly cmd?: ReadonlyArray<string>
  /** The port inside the container that is published on 127.0.0.1 on a free host port. */
  readonly containerPort: number
  /** The network to join (default: Docker's `bridge`). */
  readonly network?: string
  /** Memory limit; swap is not added on top of it. 0 or absent: unlimited. */
  readonly memoryBytes?: number
  readonly nanoCpus?: number
  /** Process limit. 0 or absent: unlimited. */
  readonly pidsLimit?: number
}

/** The engine's create request for `spec`: the hardening flags are fixed here, not in the spec. */
export const createOptions = (spec: ContainerSpec): DockerClient.ContainerCreateOptions => {
  const portKey = publishedPortKey(spec.containerPort)
  return {
    name: spec.name,
    Image: spec.image,
    Labels: { ...spec.labels },
    User: spec.user,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(spec.workdir !== undefined ? { WorkingDir: spec.workdir } : {}),
    ...(spec.entrypoint !== undefined ? { Entrypoint: [...spec.entrypoint] } : {}),
    ...(spec.cmd !== undefined ? { Cmd: [...spec.cmd] } : {}),
    ExposedPorts: { [portKey]: {} },
    HostConfig: {
      ...(spec.network !== undefined ? { NetworkMode: spec.network } : {}),
      Init: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Binds: spec.binds.map((b) => `${b.host}:${b.container}${b.readOnly ? ":ro" : ""}`),
      PortBindings: { [portKey]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
      ExtraHosts: ["host.docker.internal:host-gateway"],
      // MemorySwap = Memory: no swap beyond the limit, so a runaway agent is stopped, not slowed
      ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      ...(spec.nanoCpus !== undefined ? { NanoCpus: spec.nanoCpus } : {}),
      ...(spec.pidsLimit !== undefined ? { PidsLimit: spec.pidsLimit } : {})
    }
  }
}

/** The engine's key of a published TCP port (`4096/tcp`). */
export const publishedPortKey = (containerPort: number) => `${containerPort}/tcp`

// ---- the network: containers on it cannot talk to each other ----

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

/** Marks the networks taskq created. */
const NETWORK_LABEL = "taskq.network"
const ICC_OPTION = "com.docker.network.bridge.enable_icc"

/** A bridge network with inter-container traffic off; `bridgeName` is its host interface (`iptables -i`). */
export const isolatedNetworkOptions = (name: string, bridgeName: string): DockerClient.NetworkCreateOptions => ({
  Name: name,
  Driver: "bridge",
  CheckDuplicate: true,
  Labels: { [NETWORK_LABEL]: "isolated" },
  Options: { [ICC_OPTION]: "false", "com.docker.network.bridge.name": bridgeName }
})

/** Why an existing network may not hold task containers (they could talk), or nothing if it may. */
export const whyNotIsolated = (
  name: string,
  info: Pick<DockerClient.NetworkInspectInfo, "Driver" | "Options">
): string | undefined =>
  info.Driver === "bridge" && info.Options?.[ICC_OPTION] === "false"
    ? undefined
    : `network ${name} exists but is not a bridge with ${ICC_OPTION}=false, so tasks could reach each other; ` +
      `remove it (docker network rm ${name}) and taskq creates it again`

// ---- one task attempt's container ----

/** Where the image's OpenCode reads its config and keeps its data (XDG dirs of /home/agent). */
export const CONTAINER_CONFIG_DIR = "/home/agent/.config/opencode"
export const CONTAINER_DATA_DIR = "/home/agent/.local/share/opencode"

export const DEFAULT_MEMORY_MB = 4096
export const DEFAULT_PIDS_LIMIT = 2048

/** The limits a container gets: the given ones, else 4 GiB of memory and 2048 processes; 0 = unlimited. */
export const containerLimits = (given: ContainerLimits = {}): ContainerLimits => ({
  memoryBytes: given.memoryBytes ?? DEFAULT_MEMORY_MB * 1024 * 1024,
  pidsLimit: given.pidsLimit ?? DEFAULT_PIDS_LIMIT,
  ...(given.nanoCpus !== undefined && given.nanoCpus > 0 ? { nanoCpus: given.nanoCpus } : {})
})

export interface AttemptDirs {
  readonly attemptDir: string
  readonly configDir: string
  readonly dataDir: string
}

export interface TaskContainerInput {
  readonly task: TaskRecord
  readonly image: string
  readonly user: ContainerUser
  /**
   * What git in the container needs: the agent's private git dir, the read-only `.git` file over
   * the worktree's that points to it, the repository's objects read-only (Git.prepareBox). The
   * repository's own git dir (hooks, config, refs) is never mounted.
   */
  readonly gitMounts: ReadonlyArray<BindMount>
  readonly dirs: AttemptDirs
  /** What taskq sets itself; no secrets (they show in `docker inspect`). */
  readonly env: Readonly<Record<string, string>>
  /** The attempt's 0600 env file (server password, provider keys), sourced by the entrypoint. */
  readonly envFile?: string
  readonly network?: string
  /** Absent: no limits; see `containerLimits` for the run's defaults. */
  readonly limits?: ContainerLimits
}

/** The container of one task attempt: its worktree at the same path, run as the task's user. */
export const taskContainerSpec = (input: TaskContainerInput): ContainerSpec => ({
  name: containerName(input.task.id, input.task.created_at),
  image: input.image,
  labels: { [TASK_LABEL]: input.task.id, [ATTEMPT_LABEL]: String(input.task.attempt) },
  user: `${input.user.uid}:${input.user.gid}`,
  env: {
    ...input.env,
    OPENCODE_PORT: String(AGENT_PORT),
    ...(input.envFile !== undefined ? { TASKQ_ENV_FILE: CONTAINER_ENV_PATH } : {})
  },
  binds: [
    { host: input.task.worktree_path, container: input.task.worktree_path },
    ...input.gitMounts,
    { host: input.dirs.configDir, container: CONTAINER_CONFIG_DIR },
    { host: input.dirs.dataDir, container: CONTAINER_DATA_DIR },
    ...(input.envFile !== undefined ? [{ host: input.envFile, container: CONTAINER_ENV_PATH, readOnly: true }] : [])
  ],
  workdir: input.task.worktree_path,
  containerPort: AGENT_PORT,
  ...(input.network !== undefined ? { network: input.network } : {}),
  ...(input.limits?.memoryBytes !== undefined ? { memoryBytes: input.limits.memoryBytes } : {}),
  ...(input.limits?.nanoCpus !== undefined ? { nanoCpus: input.limits.nanoCpus } : {}),
  ...(input.limits?.pidsLimit !== undefined ? { pidsLimit: input.limits.pidsLimit } : {})
})
