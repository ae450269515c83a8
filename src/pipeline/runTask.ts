/**
 * One task, one attempt: claim -> setup -> execute -> success (review), or failed with an error
 * report. The attempt runs in its own scope. The worktree and the container are acquired with a
 * release that reads how the attempt ended and applies the policy (preserve by default, remove
 * with --cleanup-on-fail, stop the containers on interruption); the failure is recorded by the
 * scope's first finalizer, so last, whatever ended the attempt: a failed stage, a defect, or an
 * interruption (Ctrl-C). Every release step has a time limit: a hung engine cannot block Ctrl-C.
 */
import { Cause, Deferred, Duration, Effect, Exit, FileSystem, Option, Path, Ref } from "effect"
import { AGENT_PORT } from "../core/constants.js"
import { InvalidInput, type Stage } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { Docker, type StartedContainer } from "../adapters/Docker.js"
import { Git, type GitBox } from "../adapters/Git.js"
import { OpenCode, type ServerRef } from "../adapters/OpenCode.js"
import type { AskPolicy } from "../adapters/agentEvents.js"
import { ErrorStore } from "../store/ErrorStore.js"
import { readPrompt } from "../store/pg/SharedQueue.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { withTaskLock } from "../store/taskLock.js"
import { confined, QueuePaths } from "../support/paths.js"
import type { ContainerUser } from "../support/user.js"
import type { Step } from "../core/steps.js"
import { bootstrapAttempt, describeBootstrap, hostSetup } from "./agentConfig.js"
import { importAgentCommits } from "./agentCommits.js"
import { guardNewWorktree, recordCreatedWorktree, releaseWorktree as releaseOwnedWorktree } from "./ownedWorktree.js"
import { type AttemptDirs, containerLimits, type NetworkMode, taskContainerSpec } from "../adapters/containerBox.js"
import { prepareIsolation } from "./isolation.js"
import { localTask, publishBranch } from "./mirror.js"
import { resolveSteps, runSteps, USAGE_FILE } from "./steps.js"
import { park } from "./reviewTask.js"
import { agentFollower } from "./follow.js"
import { failureOf, type Failure, summary, toStageError } from "./errorReport.js"
import { HostFacts } from "../support/hostFacts.js"
import { sealAttemptDir, taskUser } from "./ownership.js"
import type { Progress } from "./progress.js"
import { containerDeath, followLogs, watchContainer } from "./watch.js"
import { withAgentTruth } from "./agentTruth.js"

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

/** The longest any one step of a release may take (stopping a container, removing a worktree, ...). */
export const RELEASE_STEP_TIMEOUT: Duration.Input = "20 seconds"

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

/** What the releases did, for the record's error line. */
interface Released {
  readonly notes: ReadonlyArray<string>
  readonly containerGone: boolean
}

/** Where and how the attempt failed, as the boundary of the stage it failed in saw it. */
type Ended = Deferred.Deferred<Failure>

export const runTask = Effect.fn("runTask")(function* (id: string, options: RunOptions) {
  const tasks = yield* TaskRepository
  const claimed = yield* claim(id)
  if (Option.isNone(claimed))
    return { _tag: "Skipped", id, reason: "not todo (claimed by another runner?)" } satisfies TaskOutcome
  const ended = yield* Deferred.make<Failure>()
  return yield* localTask(claimed.value).pipe(
    Effect.flatMap((local) => attempt(local, options, ended)),
    Effect.map((t): TaskOutcome => ({ _tag: "Review", task: t })),
    Effect.catchCause((cause) =>
      Effect.gen(function* () {
        const failure = yield* failureAt(ended, cause)
        const task = Option.getOrUndefined(yield* tasks.get(id).pipe(Effect.option))
        return { _tag: "Failed", task, failure } satisfies TaskOutcome
      })
    )
  )
})

/** Moves the task from todo to in_progress under this runner; none when it is not todo (any more). */
const claim = Effect.fnUntraced(function* (id: string) {
  const tasks = yield* TaskRepository
  const host = yield* HostFacts
  const runner = yield* host.runner
  return yield* tasks
    .transition(id, "run", {
      started_at: yield* nowIso,
      finished_at: null,
      error: null,
      runner: runner.id,
      host: runner.hostname
    })
    .pipe(
      withTaskLock(id, "run"), // not while a cleanup or another command acts on the task
      Effect.map(Option.some),
      Effect.catchTags({
        InvalidTransition: () => Effect.succeed(Option.none<TaskRecord>()),
        TaskNotFound: () => Effect.succeed(Option.none<TaskRecord>()),
        TaskBusy: () => Effect.succeed(Option.none<TaskRecord>())
      })
    )
})

const attempt = Effect.fnUntraced(function* (task: TaskRecord, options: RunOptions, ended: Ended) {
  const released = yield* Ref.make<Released>({ notes: [], containerGone: false })
  // the first finalizer runs last: after the container's and the worktree's releases
  yield* Effect.addFinalizer((exit) =>
    Exit.isSuccess(exit)
      ? Effect.void
      : Effect.flatMap(failureAt(ended, exit.cause), (failure) => recordFailure(task, options, failure, released))
  )
  const workspace = yield* setup(task, options, ended, released).pipe(atStage("setup", ended))
  yield* execute(task, workspace, options, released).pipe(atStage("execute", ended))
  return yield* success(task, options).pipe(atStage("success", ended))
}, Effect.scoped)

/** A stage's boundary: its failures become StageErrors of `stage`, and the first to end the attempt is kept. */
const atStage =
  (stage: Stage, ended: Ended) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    self.pipe(
      Effect.mapError((e) => toStageError(stage, e)),
      Effect.onExit((exit) =>
        Exit.isFailure(exit) ? Deferred.succeed(ended, failureOf(exit.cause, stage)).pipe(Effect.asVoid) : Effect.void
      )
    )

const failureAt = <E>(ended: Ended, cause: Cause.Cause<E>) =>
  Effect.flatMap(Deferred.isDone(ended), (done) =>
    done ? Deferred.await(ended) : Effect.succeed(failureOf(cause, "setup"))
  )

const say = (options: RunOptions, task: TaskRecord, stage: Stage, message: string) =>
  options.progress(task.id, stage, message)

/** The worktree, fresh attempt dirs, the agent config: everything the container will mount. */
const setup = Effect.fn("runTask.setup")(function* (
  task: TaskRecord,
  options: RunOptions,
  ended: Ended,
  released: Ref.Ref<Released>
) {
  const git = yield* Git
  const docker = yield* Docker
  const tasks = yield* TaskRepository
  const stale = yield* docker.removeTaskContainers(task.id)
  if (stale.length > 0)
    yield* say(options, task, "setup", `removed stale container${stale.length > 1 ? "s" : ""} ${stale.join(", ")}`)
  const baseSha = yield* git.resolveCommit(task.repo, task.base)
  yield* acquireWorktree(task, options, baseSha, ended, released)
  const dirs = yield* writeAgentConfig(task, options)
  const box = yield* git.prepareBox(task.repo, task.worktree_path, task.branch, dirs.attemptDir)
  const isolation = yield* prepareIsolation(dirs.attemptDir, options.network ?? "isolated")
  const user = yield* taskUser(task.repo)
  yield* sealAttemptDir(user, dirs.attemptDir, [dirs.configDir, dirs.dataDir])
  yield* tasks.updateRuntime(task.id, {
    base_sha: baseSha,
    opencode_attempt_dir: dirs.attemptDir,
    opencode_config_dir: dirs.configDir,
    opencode_data_dir: dirs.dataDir
  })
  return { baseSha, dirs, user, box, isolation } satisfies Workspace
})

/**
 * The task's worktree: a new one on the task branch, or the existing one on a retry or with
 * --dirty-run. Released on failure with --cleanup-on-fail, once its changes are safe on the branch.
 */
const acquireWorktree = Effect.fnUntraced(function* (
  task: TaskRecord,
  options: RunOptions,
  baseSha: string,
  ended: Ended,
  released: Ref.Ref<Released>
) {
  const fs = yield* FileSystem.FileSystem
  const git = yield* Git
  const refuse = (reason: string) => Effect.fail(new InvalidInput({ reason }))
  const existing = (yield* git.listWorktrees(task.repo)).find((w) => w.path === task.worktree_path)
  const reuse = existing !== undefined && (options.dirtyRun || task.attempt > 1)
  if (existing && !reuse)
    return yield* refuse(`worktree ${task.worktree_path} already exists (run with --dirty-run to reuse it)`)
  if (existing && existing.branch !== task.branch)
    return yield* refuse(
      `worktree ${task.worktree_path} is on ${existing.branch ?? "a detached HEAD"}, not ${task.branch}`
    )
  if (!existing && (yield* fs.exists(task.worktree_path)))
    return yield* refuse(`${task.worktree_path} exists but is not a worktree of ${task.repo}`)
  const branchExists = reuse ? true : yield* git.branchExists(task.repo, task.branch)
  if (!reuse && branchExists && task.attempt === 1 && !options.dirtyRun)
    return yield* refuse(`branch ${task.branch} already exists in ${task.repo} (run with --dirty-run to work on it)`)

  // the release is registered before `git worktree add`, which stays interruptible (a hung git must not block Ctrl-C)
  yield* Effect.acquireRelease(Effect.succeed(task.worktree_path), (_, exit) =>
    releaseWorktree(task, options, ended, exit, released)
  )
  if (reuse) {
    yield* importAgentCommits(task) // the previous attempt's commits carry over
    return yield* say(options, task, "setup", `reusing worktree ${task.worktree_path}`)
  }
  yield* guardNewWorktree(task) // no link at (or, under the queue, on the way to) the new worktree
  yield* git.addWorktree(task.repo, task.worktree_path, task.branch, baseSha, { reuseBranch: branchExists })
  yield* recordCreatedWorktree(task, !branchExists) // what taskq made is all cleanup may remove
  yield* say(
    options,
    task,
    "setup",
    `worktree ${task.worktree_path} on ${task.branch} from ${task.base} (${baseSha.slice(0, 12)})`
  )
})

/** The attempt's own config and data dirs, and the agent's config bootstrapped into them. */
const writeAgentConfig = Effect.fnUntraced(function* (task: TaskRecord, options: RunOptions) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const q = yield* QueuePaths
  // confined to queue/opencode, no link on the way: the removal and chown below must not reach outside
  const attemptDir = yield* confined(q, q.opencodeDir, q.attemptDir(task.id, task.attempt))
  const dirs = { attemptDir, configDir: path.join(attemptDir, "config"), dataDir: path.join(attemptDir, "data") }
  yield* fs.remove(attemptDir, { recursive: true, force: true })
  yield* Effect.forEach([dirs.configDir, dirs.dataDir], (d) => fs.makeDirectory(d, { recursive: true }), {
    discard: true
  })
  const boot = yield* bootstrapAttempt(dirs, { ...hostSetup(options), template: q.agentConfigTemplate })
  yield* say(options, task, "setup", `agent setup: ${describeBootstrap(boot)}`)
  return dirs satisfies AttemptDirs
})

/** The container, the server, the session, the prompt. */
const execute = Effect.fn("runTask.execute")(function* (
  task: TaskRecord,
  workspace: Workspace,
  options: RunOptions,
  released: Ref.Ref<Released>
) {
  const prompt = yield* readTaskPrompt(task)
  const container = yield* startContainer(task, workspace, options, released).pipe(
    Effect.mapError((e) => toStageError("container", e))
  )
  yield* Effect.scoped(
    Effect.gen(function* () {
      if (options.follow && options.followRaw) yield* Effect.forkScoped(followLogs(task.id, container.name))
      const agent = yield* startSession(task, container, workspace, options)
      yield* runPrompt(task, agent, prompt, options, workspace.dirs.attemptDir)
    })
  )
})

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

/** The task moves to review. */
const success = Effect.fn("runTask.success")(function* (task: TaskRecord, options: RunOptions) {
  const tasks = yield* TaskRepository
  // the agent's processes stop before taskq reads its git dir: one left behind could swap what the
  // import has just checked (run --keep-running accepts that race; README, Security model)
  const { container } = yield* tasks.get(task.id)
  if (!options.keepRunning && container) yield* park(container, (m) => say(options, task, "success", m))
  yield* importAgentCommits(task)
  const pushed = yield* publishBranch(task) // a URL repo gets the task branch back
  if (pushed) yield* say(options, task, "success", `pushed ${task.branch} to ${pushed}`)
  const done = yield* tasks.transition(task.id, "ok", { finished_at: yield* nowIso, runner: null })
  yield* say(options, task, "success", `agent finished; ${task.id} is ready for review (taskq review --id ${task.id})`)
  return done
})

// ---------------------------------------------------------------------------------------------
// Releases: each step bounded in time; a step that fails or times out is noted, never fatal.

const noted =
  (released: Ref.Ref<Released>, what: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, never, R> =>
    Effect.interruptible(self).pipe(
      Effect.timeoutOrElse({
        duration: RELEASE_STEP_TIMEOUT,
        orElse: () => Effect.fail(`no answer within ${Duration.format(Duration.fromInputUnsafe(RELEASE_STEP_TIMEOUT))}`)
      }),
      Effect.tapError((err) =>
        Ref.update(released, (r) => ({
          ...r,
          notes: [...r.notes, `${what} failed: ${err instanceof Error ? err.message : String(err)}`]
        }))
      ),
      Effect.option
    )

/** The task's containers on failure: removed with --cleanup-on-fail, stopped on interruption, else kept. */
const releaseContainers = Effect.fnUntraced(function* <E>(
  task: TaskRecord,
  options: RunOptions,
  exit: Exit.Exit<unknown, E>,
  released: Ref.Ref<Released>
) {
  if (Exit.isSuccess(exit)) return
  const docker = yield* Docker
  if (options.cleanupOnFail) {
    const removed = yield* docker.removeTaskContainers(task.id).pipe(noted(released, "removing containers"))
    if (Option.isSome(removed)) yield* Ref.update(released, (r) => ({ ...r, containerGone: true }))
  } else if (Exit.hasInterrupts(exit)) {
    const containers = yield* docker.listTaskContainers(task.id).pipe(noted(released, "listing containers"))
    if (Option.isSome(containers))
      yield* Effect.forEach(containers.value, (c) => docker.stop(c.id).pipe(noted(released, `stopping ${c.name}`)), {
        discard: true
      })
  }
})

/**
 * The worktree on failure: the agent's commits brought back to the task branch; with
 * --cleanup-on-fail its other changes committed too, then the worktree removed.
 */
const releaseWorktree = Effect.fnUntraced(function* <E>(
  task: TaskRecord,
  options: RunOptions,
  ended: Ended,
  exit: Exit.Exit<unknown, E>,
  released: Ref.Ref<Released>
) {
  if (Exit.isSuccess(exit)) return
  const imported = yield* importAgentCommits(task).pipe(noted(released, "bringing back the agent's commits"))
  if (!options.cleanupOnFail) return
  const failure = yield* failureAt(ended, exit.cause)
  // only the worktree taskq created goes (ownedWorktree.ts), and only once its changes are safe on the branch
  if (Option.isNone(imported)) return
  const left = yield* releaseOwnedWorktree(
    task,
    `taskq: work of ${task.id} attempt ${task.attempt} (failed: ${failure.stage})`,
    "cleanup"
  ).pipe(noted(released, "removing the worktree"))
  if (Option.isSome(left) && left.value._tag === "Left")
    yield* Ref.update(released, (r) => ({
      ...r,
      notes: [...r.notes, `left the worktree ${task.worktree_path} in place: ${left.value.reason}`]
    }))
})

/** Writes the error report and moves the task to failed. Never fails: each step's own failure is noted instead. */
const recordFailure = Effect.fnUntraced(function* (
  task: TaskRecord,
  options: RunOptions,
  failure: Failure,
  released: Ref.Ref<Released>
) {
  const tasks = yield* TaskRepository
  const errors = yield* ErrorStore
  const current = yield* tasks.get(task.id).pipe(noted(released, "reading the task"))
  if (Option.isNone(current) || current.value.status !== "in_progress") return
  const now = yield* nowIso
  yield* errors
    .write({
      task_id: task.id,
      attempt: task.attempt,
      stage: failure.stage,
      exit_code: failure.exitCode,
      stdout: failure.stdout,
      stderr: failure.stderr,
      message: failure.message,
      ...(failure.causeTag !== undefined ? { cause_tag: failure.causeTag } : {}),
      created_at: now
    })
    .pipe(noted(released, "writing the error report"))
  const { notes, containerGone } = yield* Ref.get(released)
  yield* tasks
    .transition(task.id, "fail", {
      error: [summary(failure), ...notes].join("; "),
      finished_at: now,
      runner: null,
      ...(containerGone ? { container: null, port: null } : {})
    })
    .pipe(noted(released, "recording the failure"))
  yield* options.progress(
    task.id,
    failure.stage,
    `failed: ${summary(failure)}${notes.length ? ` (${notes.join("; ")})` : ""}`
  )
})
