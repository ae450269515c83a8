/**
 * The execute stage: the task's container (its release registered first), its OpenCode server,
 * the session, and the task's steps, raced against the container's death.
 */
import { Effect, Ref } from "effect"
import { AGENT_PORT } from "../core/constants.js"
import { InvalidInput } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { Docker, type StartedContainer } from "../adapters/Docker.js"
import { OpenCode, type ServerRef } from "../adapters/OpenCode.js"
import { containerLimits, taskContainerSpec } from "../adapters/containerBox.js"
import { readPrompt } from "../store/pg/SharedQueue.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { withAgentTruth } from "./agentTruth.js"
import { type Released, releaseContainers } from "./attemptReleases.js"
import { type Agent, type RunOptions, say, type Workspace } from "./attemptTypes.js"
import { toStageError } from "./errorReport.js"
import { agentFollower } from "./follow.js"
import { resolveSteps, runSteps, USAGE_FILE } from "./steps.js"
import { containerDeath, followLogs, watchContainer } from "./watch.js"

/** The container, the server, the session, the prompt. */
export const executeStage = Effect.fn("runTask.execute")(function* (
  task: TaskRecord,
  workspace: Workspace,
  options: RunOptions,
  released: Ref.Ref<Released>
) {
  const prompt = yield* readTaskPrompt(task)
  const container = yield* startContainer(task, workspace, options, released).pipe(
    Effect.mapError((e) => toStageError("container", e))
  )
  yield* driveAgent(task, container, workspace, options, prompt)
})

/** The session on the started container and the task's steps in it; with --follow=raw, its log too. */
const driveAgent = Effect.fnUntraced(function* (
  task: TaskRecord,
  container: StartedContainer,
  workspace: Workspace,
  options: RunOptions,
  prompt: string
) {
  if (options.follow && options.followRaw) yield* Effect.forkScoped(followLogs(task.id, container.name))
  const agent = yield* startSession(task, container, workspace, options)
  yield* runPrompt(task, agent, prompt, options, workspace.dirs.attemptDir)
}, Effect.scoped)

/** The task's prompt (its markdown file, or the shared queue's copy). */
const readTaskPrompt = (task: TaskRecord) =>
  readPrompt(task).pipe(
    Effect.mapError((e) => new InvalidInput({ reason: `cannot read the task prompt: ${e.message}` }))
  )

/**
 * Starts the task's container. Its release is registered first, so a container that was created
 * but failed to start is released too: removed with --cleanup-on-fail, stopped on interruption.
 */
const startContainer = Effect.fnUntraced(function* (
  task: TaskRecord,
  workspace: Workspace,
  options: RunOptions,
  released: Ref.Ref<Released>
) {
  const docker = yield* Docker
  const tasks = yield* TaskRepository
  const spec = taskContainerSpec({
    task,
    image: options.image,
    user: workspace.user,
    gitMounts: workspace.box.mounts,
    dirs: workspace.dirs,
    env: {},
    envFile: workspace.isolation.envFile,
    network: workspace.isolation.network,
    limits: containerLimits(options.limits)
  })
  yield* Effect.acquireRelease(Effect.succeed(spec.name), (_, exit) => releaseContainers(task, options, exit, released))
  const started = yield* docker.startContainer(spec)
  yield* tasks.updateRuntime(task.id, { container: started.name, port: started.hostPort })
  yield* say(
    options,
    task,
    "execute",
    `container ${started.name} (OpenCode on 127.0.0.1:${started.hostPort}, container port ${AGENT_PORT})`
  )
  return started
})

/** Waits for the container's OpenCode server and opens the task's session. */
const startSession = Effect.fnUntraced(function* (
  task: TaskRecord,
  container: StartedContainer,
  workspace: Workspace,
  options: RunOptions
) {
  const opencode = yield* OpenCode
  const tasks = yield* TaskRepository
  const server: ServerRef = {
    baseUrl: `http://127.0.0.1:${container.hostPort}`,
    password: workspace.isolation.password
  }
  const version = yield* Effect.raceFirst(
    opencode.waitReady(server, options.readyTimeout),
    watchContainer(container.name)
  ).pipe(Effect.mapError((e) => toStageError("server", e)))
  yield* say(options, task, "execute", `OpenCode ${version} ready`)
  const sessionId = yield* opencode
    .createSession(server, `taskq ${task.id} (attempt ${task.attempt})`)
    .pipe(Effect.mapError((e) => toStageError("session", e)))
  yield* tasks.updateRuntime(task.id, { session_id: sessionId })
  return { container, server, sessionId } satisfies Agent
})

/**
 * Runs the task's steps (its own, the queue's default, else one prompt with the task body) and
 * waits for the agent; a server that vanished mid-step is the container's failure.
 */
const runPrompt = Effect.fnUntraced(function* (
  task: TaskRecord,
  agent: Agent,
  prompt: string,
  options: RunOptions,
  attemptDir: string
) {
  const steps = resolveSteps(task, options.defaultSteps)
  yield* say(options, task, "execute", `session ${agent.sessionId}: ${steps.length} step${steps.length > 1 ? "s" : ""}`)
  yield* Effect.raceFirst(
    runSteps(
      agent.server,
      agent.sessionId,
      steps,
      prompt,
      { idleTimeout: options.idleTimeout, wallTimeout: options.wallTimeout, askPolicy: options.askPolicy },
      {
        say: (message) => say(options, task, "execute", message),
        follower: options.follow && !options.followRaw ? agentFollower(task.id, task.worktree_path) : undefined,
        usageFile: `${attemptDir}/${USAGE_FILE}`
      }
    ),
    watchContainer(agent.container.name)
  ).pipe(
    Effect.catchTags({
      ServerLost: (e) => containerDeath(agent.container.name, e),
      ServerUnreachable: (e) => containerDeath(agent.container.name, e)
    }),
    Effect.mapError((e) => toStageError("agent", e)),
    withAgentTruth(agent.server, agent.sessionId, agent.container.name) // the provider's error and the log tail
  )
})
