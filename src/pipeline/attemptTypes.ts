/** What the stages of one attempt share: the run's options, what setup prepared, the agent, the outcome. */
import type { Duration, Effect } from "effect"
import type { Stage } from "../core/errors.js"
import type { Step } from "../core/steps.js"
import type { TaskRecord } from "../core/task.js"
import type { StartedContainer } from "../adapters/Docker.js"
import type { GitBox } from "../adapters/Git.js"
import type { ServerRef } from "../adapters/OpenCode.js"
import type { AskPolicy } from "../adapters/agentEvents.js"
import type { AttemptDirs, NetworkMode } from "../adapters/containerBox.js"
import type { ContainerUser } from "../support/user.js"
import type { Failure } from "./errorReport.js"
import type { prepareIsolation } from "./isolation.js"
import type { Progress } from "./progress.js"

export interface RunOptions {
  readonly image: string
  readonly cleanupOnFail: boolean
  readonly dirtyRun: boolean
  readonly follow: boolean
  /** With `follow`: the container's raw log instead of the agent's work. */
  readonly followRaw?: boolean
  /** Leave the container up in review (default: stopped; `taskq review` starts it again). */
  readonly keepRunning?: boolean
  readonly readyTimeout: Duration.Input
  readonly idleTimeout: Duration.Input
  readonly wallTimeout: Duration.Input
  readonly askPolicy: AskPolicy
  readonly progress: Progress
  /** The network of task containers (default `isolated`: no traffic between tasks). */
  readonly network?: NetworkMode
  /** Copy the host's OpenCode config dir and auth.json into the attempt (default: both). */
  readonly hostConfig?: boolean
  readonly hostAuth?: boolean
  /** The queue's default steps (`queue/taskq.json` `steps`) for tasks without their own. */
  readonly defaultSteps?: ReadonlyArray<Step>
  /** Resource limits of each task container (absent: 4 GiB, 2048 processes; 0: unlimited). */
  readonly limits?: { readonly memoryBytes?: number; readonly nanoCpus?: number; readonly pidsLimit?: number }
}

export type TaskOutcome =
  | { readonly _tag: "Review"; readonly task: TaskRecord }
  | { readonly _tag: "Failed"; readonly task: TaskRecord | undefined; readonly failure: Failure }
  | { readonly _tag: "Skipped"; readonly id: string; readonly reason: string }

type Isolation = Effect.Success<ReturnType<typeof prepareIsolation>>

/** What `setup` prepared for `execute`. */
export interface Workspace {
  readonly baseSha: string
  readonly dirs: AttemptDirs
  readonly user: ContainerUser
  /** The agent's private git dir and the mounts that give it to the container. */
  readonly box: GitBox
  /** The task server's password, its env file and network. */
  readonly isolation: Isolation
}

/** The agent `execute` talks to: its container, its server, its session. */
export interface Agent {
  readonly container: StartedContainer
  readonly server: ServerRef
  readonly sessionId: string
}

/** A line of the attempt's progress. */
export const say = (options: RunOptions, task: TaskRecord, stage: Stage, message: string) =>
  options.progress(task.id, stage, message)
