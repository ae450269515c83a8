/**
 * A task runs as a list of steps in one agent session. A step picks the agent, the model
 * (`provider/model`) and its variant, and sends either an OpenCode command (its arguments: `prompt`,
 * or the task body for the first step) or a prompt (default for the first step: the task body).
 * The original's plan-then-build flow is two steps:
 * `[{agent: plan, command: make-plan, variant: high}, {agent: build, command: execute-plan}]`.
 */
import { Result, Schema } from "effect"

const Name = Schema.String.check(
  Schema.makeFilter((s: string) => (s.trim() !== "" && !/\s/.test(s)) || "expected a name without spaces")
)
/** `provider/model`, as OpenCode names models (the model part may contain more slashes). */
const ModelRef = Schema.String.check(
  Schema.makeFilter((s: string) => /^[^/\s]+\/\S+$/.test(s) || "expected provider/model")
)

export const Step = Schema.Struct({
  agent: Schema.optionalKey(Name),
  model: Schema.optionalKey(ModelRef),
  variant: Schema.optionalKey(Name),
  command: Schema.optionalKey(Name),
  prompt: Schema.optionalKey(Schema.String)
})
export type Step = typeof Step.Type
export const stepKeys = ["agent", "model", "variant", "command", "prompt"] as const

/** One step with the task body: what a task without steps runs. */
export const defaultSteps: ReadonlyArray<Step> = [{}]

const decodeStep = Schema.decodeUnknownResult(Step)

/** A Schema failure as one phrase: `expected provider/model\n  at ["model"]` → `model: expected provider/model`. */
const describeIssue = (message: string): string => {
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
  const key = lines.map((l) => /^at \["?([^"\]]+)"?\]$/.exec(l)?.[1]).find((k) => k !== undefined)
  const reason = lines.filter((l) => !l.startsWith("at [")).join("; ")
  return key === undefined ? reason : `${key}: ${reason}`
}

/**
 * Checks a steps value from a task file, `taskq.json` or flags: a non-empty list of steps with
 * known keys; every step after the first needs a prompt or a command. Errors name the step.
 */
export const parseSteps = (raw: unknown): Result.Result<ReadonlyArray<Step>, string> => {
  if (!Array.isArray(raw) || raw.length === 0) return Result.fail("steps must be a non-empty list of steps")
  const steps: Array<Step> = []
  for (const [i, item] of raw.entries()) {
    const where = `step ${i + 1}`
    if (typeof item !== "object" || item === null || Array.isArray(item))
      return Result.fail(`${where} must be a mapping of ${stepKeys.join(", ")}`)
    const unknown = Object.keys(item).filter((k) => !(stepKeys as ReadonlyArray<string>).includes(k))
    if (unknown.length > 0)
      return Result.fail(
        `${where}: unknown key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (allowed: ${stepKeys.join(", ")})`
      )
    const decoded = decodeStep(item)
    if (Result.isFailure(decoded)) return Result.fail(`${where}: ${describeIssue(decoded.failure.message)}`)
    const step = decoded.success
    if (i > 0 && step.command === undefined && (step.prompt ?? "").trim() === "")
      return Result.fail(`${where} needs a prompt or a command (only the first step defaults to the task body)`)
    steps.push(step)
  }
  return Result.succeed(steps)
}

/** `step 1/2 plan (make-plan)`: how progress and error reports name a step. */
export const stepLabel = (step: Step, index: number, count: number): string =>
  [`step ${index + 1}/${count}`, step.agent, step.command ? `(${step.command})` : undefined]
    .filter((s) => s !== undefined)
    .join(" ")

/**
 * The steps `taskq add` records: the task file's `steps`, with `--agent/--model/--variant` setting the
 * fields of a single-step task. Nothing recorded when neither is given (the queue default applies at run).
 */
export const stepsForAdd = (
  fileSteps: unknown,
  flags: {
    readonly agent?: string | undefined
    readonly model?: string | undefined
    readonly variant?: string | undefined
  }
): Result.Result<ReadonlyArray<Step> | undefined, string> => {
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined))
  const base = fileSteps === undefined ? undefined : parseSteps(fileSteps)
  if (base !== undefined && Result.isFailure(base)) return base
  const steps = base?.success
  if (Object.keys(given).length === 0) return Result.succeed(steps)
  if (steps !== undefined && steps.length > 1)
    return Result.fail(
      `--${Object.keys(given).join("/--")} set the fields of a single-step task, ` +
        `but the task file has ${steps.length} steps`
    )
  return Result.map(parseSteps([{ ...steps?.[0], ...given }]), (s) => s)
}

/** A steps value as `queue/taskq.json` holds it: everything `parseSteps` accepts (unknown keys refused). */
export const StepList = Schema.declare((u: unknown): u is ReadonlyArray<Step> => Result.isSuccess(parseSteps(u)), {
  expected: "a list of steps {agent, model, variant, command, prompt}"
})
