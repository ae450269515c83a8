/** The container of one task attempt, as SPEC §3 describes it. */
import { AGENT_PORT } from "../core/constants.js"
import { ATTEMPT_LABEL, containerName, TASK_LABEL } from "../core/naming.js"
import type { TaskRecord } from "../core/task.js"
import type { BindMount, ContainerSpec } from "../adapters/Docker.js"
import type { ContainerUser } from "../support/user.js"
import { CONTAINER_ENV_PATH } from "../support/attemptSecrets.js"

/** Where the image's OpenCode reads its config and keeps its data (XDG dirs of /home/agent). */
export const CONTAINER_CONFIG_DIR = "/home/agent/.config/opencode"
export const CONTAINER_DATA_DIR = "/home/agent/.local/share/opencode"

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
  readonly limits?: { readonly memoryBytes?: number; readonly nanoCpus?: number; readonly pidsLimit?: number }
}

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
