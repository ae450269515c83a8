/**
 * One task, one attempt: claim -> setup -> execute -> review, or failed with an error report. The
 * failure policy is registered before any side effect, so it applies whatever ends the attempt:
 * a failed stage, a defect, or an interruption (Ctrl-C stops the task's containers).
 */
import { Duration, Effect, Exit, FileSystem, Option, Path } from "effect"
import { AGENT_PORT } from "../core/constants.js"
import { StageError } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { Docker } from "../adapters/Docker.js"
import { Git } from "../adapters/Git.js"
import { OpenCode, type ServerRef } from "../adapters/OpenCode.js"
import type { AskPolicy } from "../adapters/agentEvents.js"
import { ErrorStore } from "../store/ErrorStore.js"
import { readPrompt } from "../store/pg/SharedQueue.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { withTaskLock } from "../store/taskLock.js"
import { confined, QueuePaths } from "../support/paths.js"
import { bootstrapAttempt, describeBootstrap, hostSetup } from "./agentConfig.js"
import { taskContainerSpec } from "./containerSpec.js"
import { containerLimits, type NetworkMode, prepareIsolation } from "./isolation.js"
import { resolveSteps, runSteps } from "./steps.js"
import type { Step } from "../core/steps.js"
import { failureOf, type Failure, summary } from "./errorReport.js"
import { sealAttemptDir, taskUser } from "./ownership.js"
import { importAgentCommits } from "./agentCommits.js"
import { localTask, publishBranch } from "./mirror.js"
import { runnerHost, runnerId } from "./recover.js"
import type { Progress } from "./progress.js"
import { containerDeath, followLogs, watchContainer } from "./watch.js"
import { withAgentTruth } from "./agentTruth.js"

export interface RunOptions {
  readonly image: string
  readonly cleanupOnFail: boolean
  readonly dirtyRun: boolean
  readonly follow: boolean
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

const setupError = (stderr: string) => new StageError({ stage: "setup", exitCode: 1, stdout: "", stderr })

export const runTask = Effect.fn("runTask")(function* (id: string, options: RunOptions) {
  const repo = yield* TaskRepository
  const claimed = yield* repo
    .transition(id, "run", {
      started_at: yield* nowIso,
      finished_at: null,
      error: null,
      runner: runnerId(),
      host: runnerHost()
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
  if (Option.isNone(claimed))
    return { _tag: "Skipped", id, reason: "not todo (claimed by another runner?)" } satisfies TaskOutcome
  const task = claimed.value
  const stage = { current: "setup" }
  const say = (message: string) => options.progress(id, stage.current, message)

  return yield* localTask(task).pipe(
    Effect.flatMap((local) => attempt(local, options, stage, say)),
    Effect.onExit((exit) =>
      Exit.isSuccess(exit)
        ? Effect.void
        : onFailure(task, options, failureOf(exit.cause, stage.current), Exit.hasInterrupts(exit))
    ),
    Effect.map((t): TaskOutcome => ({ _tag: "Review", task: t })),
    Effect.catchCause((cause) =>
      Effect.gen(function* () {
        const failure = failureOf(cause, stage.current)
        return {
          _tag: "Failed",
          task: Option.getOrUndefined(yield* repo.get(id).pipe(Effect.option)),
          failure
        } satisfies TaskOutcome
      })
    )
  )
})

const attempt = Effect.fnUntraced(function* (
  task: TaskRecord,
  options: RunOptions,
  stage: { current: string },
  say: (m: string) => Effect.Effect<void>
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const git = yield* Git
  const docker = yield* Docker
  const opencode = yield* OpenCode
  const repo = yield* TaskRepository
  const q = yield* QueuePaths
  const io = (e: { readonly message: string }) => setupError(e.message)

  // setup: the worktree, fresh attempt dirs, the agent config
  const worktrees = yield* git.listWorktrees(task.repo)
  const existing = worktrees.find((w) => w.path === task.worktree_path)
  const reuse = existing !== undefined && (options.dirtyRun || task.attempt > 1)
  if (existing && !reuse)
    return yield* setupError(`worktree ${task.worktree_path} already exists (run with --dirty-run to reuse it)`)
  if (existing && existing.branch !== task.branch)
    return yield* setupError(
      `worktree ${task.worktree_path} is on ${existing.branch ?? "a detached HEAD"}, not ${task.branch}`
    )
  if (!existing && (yield* fs.exists(task.worktree_path).pipe(Effect.mapError(io)))) {
    return yield* setupError(`${task.worktree_path} exists but is not a worktree of ${task.repo}`)
  }
  const stale = yield* docker.removeTaskContainers(task.id).pipe(Effect.mapError((e) => setupError(e.message)))
  if (stale.length > 0) yield* say(`removed stale container${stale.length > 1 ? "s" : ""} ${stale.join(", ")}`)
  const baseSha = yield* git.resolveCommit(task.repo, task.base).pipe(Effect.mapError((e) => setupError(e.message)))
  if (reuse) {
    yield* importAgentCommits(task, "setup") // the previous attempt's commits carry over
    yield* say(`reusing worktree ${task.worktree_path}`)
  } else {
    const branchExists = yield* git.branchExists(task.repo, task.branch)
    if (branchExists && task.attempt === 1 && !options.dirtyRun) {
      return yield* setupError(
        `branch ${task.branch} already exists in ${task.repo} (run with --dirty-run to work on it)`
      )
    }
    yield* git.addWorktree(task.repo, task.worktree_path, task.branch, baseSha, { reuseBranch: branchExists })
    yield* say(`worktree ${task.worktree_path} on ${task.branch} from ${task.base} (${baseSha.slice(0, 12)})`)
  }
  // confined to queue/opencode, no link on the way: the removal and chown below must not reach outside
  const attemptDir = yield* confined(q, q.opencodeDir, q.attemptDir(task.id, task.attempt)).pipe(Effect.mapError(io))
  const dirs = { attemptDir, configDir: path.join(attemptDir, "config"), dataDir: path.join(attemptDir, "data") }
  yield* fs.remove(attemptDir, { recursive: true, force: true }).pipe(Effect.mapError(io))
  yield* Effect.forEach([dirs.configDir, dirs.dataDir], (d) => fs.makeDirectory(d, { recursive: true }), {
    discard: true
  }).pipe(Effect.mapError(io))
  const boot = yield* bootstrapAttempt(dirs, { ...hostSetup(options), template: q.agentConfigTemplate }).pipe(
    Effect.mapError((e) => setupError(e.message))
  )
  yield* say(`agent setup: ${describeBootstrap(boot)}`)
  const box = yield* git.prepareBox(task.repo, task.worktree_path, task.branch, attemptDir)
  const isolation = yield* prepareIsolation(dirs.attemptDir, options.network ?? "isolated")
  const user = yield* taskUser(task.repo)
  yield* sealAttemptDir(user, attemptDir, [dirs.configDir, dirs.dataDir])
  yield* repo
    .updateRuntime(task.id, {
      base_sha: baseSha,
      opencode_attempt_dir: dirs.attemptDir,
      opencode_config_dir: dirs.configDir,
      opencode_data_dir: dirs.dataDir
    })
    .pipe(Effect.mapError((e) => setupError(e.message)))

  // execute: the container, the server, the session, the prompt
  stage.current = "execute"
  const prompt = yield* readPrompt(task).pipe(
    Effect.mapError(
      (e) =>
        new StageError({
          stage: "execute",
          exitCode: 1,
          stdout: "",
          stderr: `cannot read the task prompt: ${e.message}`
        })
    )
  )
  const steps = resolveSteps(task, options.defaultSteps)
  const spec = taskContainerSpec({
    task,
    image: options.image,
    user,
    gitMounts: box.mounts,
    dirs,
    env: {},
    envFile: isolation.envFile,
    network: isolation.network,
    limits: containerLimits(options.limits)
  })
  const started = yield* docker.startContainer(spec)
  yield* repo
    .updateRuntime(task.id, { container: started.name, port: started.hostPort })
    .pipe(Effect.mapError((e) => setupError(e.message)))
  yield* say(`container ${started.name} (OpenCode on 127.0.0.1:${started.hostPort}, container port ${AGENT_PORT})`)

  return yield* Effect.scoped(
    Effect.gen(function* () {
      if (options.follow) yield* Effect.forkScoped(followLogs(task.id, started.name))
      const server: ServerRef = {
        baseUrl: `http://127.0.0.1:${started.hostPort}`,
        password: isolation.password
      }
      const dies = watchContainer(started.name)
      const version = yield* Effect.raceFirst(opencode.waitReady(server, options.readyTimeout), dies)
      yield* say(`OpenCode ${version} ready`)
      const sessionId = yield* opencode.createSession(server, `taskq ${task.id} (attempt ${task.attempt})`)
      yield* repo.updateRuntime(task.id, { session_id: sessionId }).pipe(Effect.mapError((e) => setupError(e.message)))
      yield* say(`session ${sessionId}: ${steps.length} step${steps.length > 1 ? "s" : ""}`)
      yield* Effect.raceFirst(
        runSteps(
          server,
          sessionId,
          steps,
          prompt,
          {
            idleTimeout: options.idleTimeout,
            wallTimeout: options.wallTimeout,
            askPolicy: options.askPolicy
          },
          say
        ),
        dies
      ).pipe(
        // a server that vanished mid-prompt is the container's failure, not the agent's
        Effect.catchTag("StageError", (e) =>
          e.stage === "agent" && e.exitCode === -1
            ? Effect.flatMap(containerDeath(started.name), Effect.fail)
            : Effect.fail(e)
        ),
        withAgentTruth(server, sessionId, started.name) // the provider's error and the log tail, not just "idle"
      )
      stage.current = "success"
      yield* importAgentCommits(task, "success")
      const pushed = yield* publishBranch(task) // a URL repo gets the task branch back
      if (pushed) yield* say(`pushed ${task.branch} to ${pushed}`)
      const done = yield* repo
        .transition(task.id, "ok", { finished_at: yield* nowIso, runner: null })
        .pipe(Effect.mapError((e) => new StageError({ stage: "success", exitCode: 1, stdout: "", stderr: e.message })))
      yield* say(`agent finished; ${task.id} is ready for review (taskq review --id ${task.id})`)
      return done
    })
  )
})

/** Records the failure and applies the policy. Never fails: each step's own failure is noted instead. */
const onFailure = (task: TaskRecord, options: RunOptions, failure: Failure, interrupted: boolean) =>
  Effect.gen(function* () {
    const repo = yield* TaskRepository
    const errors = yield* ErrorStore
    const docker = yield* Docker
    const git = yield* Git
    const current = yield* repo.get(task.id).pipe(Effect.option)
    if (Option.isNone(current) || current.value.status !== "in_progress") return
    const notes: Array<string> = []
    const note =
      (what: string) =>
      <A, E>(e: Effect.Effect<A, E>) =>
        e.pipe(
          Effect.tapError((err) =>
            Effect.sync(() => notes.push(`${what} failed: ${err instanceof Error ? err.message : String(err)}`))
          ),
          Effect.option
        )
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
        created_at: now
      })
      .pipe(note("writing the error report"))
    let containerGone = false
    const services = yield* Effect.context<FileSystem.FileSystem | Git | QueuePaths>()
    const imported = yield* importAgentCommits(task).pipe(
      Effect.provideContext(services),
      note("bringing back the agent's commits")
    )
    if (options.cleanupOnFail) {
      const removed = yield* docker.removeTaskContainers(task.id).pipe(note("removing containers"))
      containerGone = Option.isSome(removed)
      const saved = yield* git
        .snapshot(
          task.repo,
          task.worktree_path,
          `taskq: work of ${task.id} attempt ${task.attempt} (failed: ${failure.stage})`
        )
        .pipe(note("saving the worktree's changes"))
      // the worktree goes only when its changes are safe on the branch
      if (Option.isSome(saved) && Option.isSome(imported))
        yield* git.removeWorktree(task.repo, task.worktree_path).pipe(note("removing the worktree"))
    } else if (interrupted) {
      const containers = yield* docker.listTaskContainers(task.id).pipe(note("listing containers"))
      if (Option.isSome(containers))
        yield* Effect.forEach(containers.value, (c) => docker.stop(c.id).pipe(note(`stopping ${c.name}`)), {
          discard: true
        })
    }
    yield* repo
      .transition(task.id, "fail", {
        error: [summary(failure), ...notes].join("; "),
        finished_at: now,
        runner: null,
        ...(containerGone ? { container: null, port: null } : {})
      })
      .pipe(note("recording the failure"))
    yield* options.progress(
      task.id,
      failure.stage,
      `failed: ${summary(failure)}${notes.length ? ` (${notes.join("; ")})` : ""}`
    )
  })
