/**
 * Running a task's steps in its one session: which steps (the task's, else the queue's default in
 * `queue/taskq.json`, else one step with the task body), checked against what the server knows,
 * then sent one after the other, each waited for with the same idle/wall/ask rules.
 */
import { Effect, FileSystem } from "effect"
import { StageError } from "../core/errors.js"
import { toStageError } from "./errorReport.js"
import { defaultSteps, type Step, stepLabel } from "../core/steps.js"
import type { TaskRecord } from "../core/task.js"
import type { Catalog, PromptOptions, ServerRef, Usage } from "../adapters/OpenCode.js"
import { OpenCode } from "../adapters/OpenCode.js"
import type { Follower } from "./follow.js"

/** The steps a task runs: its own, else the queue's default, else one step with the task body. */
export const resolveSteps = (task: TaskRecord, queueDefault: ReadonlyArray<Step> | undefined): ReadonlyArray<Step> =>
  task.steps !== undefined && task.steps.length > 0 ? task.steps : (queueDefault ?? defaultSteps)

/** What in `steps` the server does not know (an agent, a command, a model), as one line; undefined if nothing. */
export const unknownInSteps = (steps: ReadonlyArray<Step>, catalog: Catalog): string | undefined => {
  const problems = steps.flatMap((s, i) => {
    const label = stepLabel(s, i, steps.length)
    return [
      s.agent !== undefined && !catalog.agents.includes(s.agent)
        ? `${label}: unknown agent ${s.agent} (known: ${catalog.agents.join(", ")})`
        : undefined,
      s.command !== undefined && !catalog.commands.includes(s.command)
        ? `${label}: unknown command ${s.command} (known: ${catalog.commands.join(", ") || "none"})`
        : undefined,
      s.model !== undefined && catalog.models !== undefined && !catalog.models.includes(s.model)
        ? `${label}: unknown model ${s.model} (known: ${catalog.models.join(", ") || "none"})`
        : undefined
    ].filter((p) => p !== undefined)
  })
  return problems.length > 0 ? problems.join("; ") : undefined
}

/** The text a step sends: its prompt, else (first step) the task body; a later command without a prompt gets none. */
export const stepText = (step: Step, index: number, body: string): string => step.prompt ?? (index === 0 ? body : "")

/**
 * Checks the steps against the server, then runs them in order in `sessionId`. A failure names its
 * step (`step 2/2 build: …`) and stops the run.
 */
export const runSteps = Effect.fn("runSteps")(function* (
  server: ServerRef,
  sessionId: string,
  steps: ReadonlyArray<Step>,
  body: string,
  options: PromptOptions,
  extras: {
    readonly say: (message: string) => Effect.Effect<void>
    readonly follower?: Follower | undefined
    /** Where the session's tokens and cost go when the steps end, however they end (`status --id`). */
    readonly usageFile?: string | undefined
  }
) {
  return yield* runEach(server, sessionId, steps, body, options, extras).pipe(
    Effect.ensuring(recordUsage(server, sessionId, extras.usageFile, extras.follower))
  )
})

/** The attempt's usage file, next to its config and data dirs. */
export const USAGE_FILE = "usage.json"

/** Writes the session's tokens and cost to `file` (and shows them to a follower); best effort. */
const recordUsage = Effect.fnUntraced(
  function* (server: ServerRef, sessionId: string, file: string | undefined, follower: Follower | undefined) {
    if (file === undefined && follower === undefined) return
    const usage = yield* (yield* OpenCode).usage(server, sessionId)
    if (file !== undefined) yield* (yield* FileSystem.FileSystem).writeFileString(file, JSON.stringify(usage) + "\n")
    if (follower) yield* follower.note(`session total: ${describeTotal(usage)}`)
  },
  Effect.timeout("5 seconds"),
  Effect.catchCause(() => Effect.void)
)

/** `3 model turns, tokens in 30, out 15 (cache read 0, write 0), cost $0.0000`. */
export const describeTotal = (u: Usage): string =>
  `${u.turns} model turn${u.turns === 1 ? "" : "s"}, tokens in ${u.input}, out ${u.output}` +
  (u.reasoning > 0 ? `, reasoning ${u.reasoning}` : "") +
  ` (cache read ${u.cache_read}, write ${u.cache_write}), cost $${u.cost.toFixed(4)}`

const runEach = Effect.fnUntraced(function* (
  server: ServerRef,
  sessionId: string,
  steps: ReadonlyArray<Step>,
  body: string,
  options: PromptOptions,
  extras: {
    readonly say: (message: string) => Effect.Effect<void>
    readonly follower?: Follower | undefined
    /** Where the session's tokens and cost go when the steps end, however they end (`status --id`). */
    readonly usageFile?: string | undefined
  }
) {
  const { say, follower } = extras
  const opencode = yield* OpenCode
  const needsCatalog = steps.some((s) => s.agent !== undefined || s.command !== undefined || s.model !== undefined)
  if (needsCatalog) {
    const problem = unknownInSteps(steps, yield* opencode.catalog(server))
    if (problem !== undefined)
      return yield* new StageError({ stage: "steps", exitCode: 1, stdout: "", stderr: problem })
  }
  for (const [i, step] of steps.entries()) {
    const label = stepLabel(step, i, steps.length)
    // a plain one-step task is just "the prompt": no step numbers in its messages
    const plain = steps.length === 1 && step.agent === undefined && step.command === undefined
    const named = (text: string) => (plain ? text : `${label}: ${text}`)
    const started = named(`sent${step.model ? ` to ${step.model}` : ""}, waiting for the agent`)
    yield* say(started)
    if (follower) yield* follower.note(started)
    yield* opencode
      .send(
        server,
        sessionId,
        {
          text: stepText(step, i, body),
          ...(step.agent !== undefined ? { agent: step.agent } : {}),
          ...(step.model !== undefined ? { model: step.model } : {}),
          ...(step.variant !== undefined ? { variant: step.variant } : {}),
          ...(step.command !== undefined ? { command: step.command } : {})
        },
        follower ? { ...options, onEvent: follower.onEvent } : options
      )
      .pipe(
        // a lost server stays itself (the pipeline asks the container why); the rest names its step
        Effect.mapError((e) => {
          if (e._tag === "ServerLost" || e._tag === "ServerUnreachable") return e
          const se = toStageError("agent", e)
          return new StageError({
            stage: se.stage,
            exitCode: se.exitCode,
            stdout: se.stdout,
            stderr: named(se.stderr),
            cause: e
          })
        })
      )
    if (steps.length > 1) yield* say(`${label}: done`)
    if (follower) yield* follower.note(named("done"))
  }
})
