import { assert, describe, it } from "@effect/vitest"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { ConfigProvider, Effect, Layer, Option, Result } from "effect"
import { rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { resolveConfig } from "../../src/support/config.js"
import { tempDir } from "../helpers/fixtures.js"
import { parseSteps, stepLabel, stepsForAdd } from "../../src/core/steps.js"
import { stepText, unknownInSteps } from "../../src/pipeline/steps.js"

const ok = <A>(r: Result.Result<A, string>): A => {
  if (Result.isFailure(r)) throw new Error(r.failure)
  return r.success
}
const err = <A>(r: Result.Result<A, string>): string => (Result.isFailure(r) ? r.failure : "no error")

describe("steps", () => {
  it("parses the upstream's plan -> build flow and labels each step", () => {
    const steps = ok(
      parseSteps([
        { agent: "plan", command: "make-plan", variant: "high" },
        { agent: "build", command: "execute-plan", model: "anthropic/claude-x" }
      ])
    )
    assert.strictEqual(stepLabel(steps[0] ?? {}, 0, 2), "step 1/2 plan (make-plan)")
    assert.strictEqual(stepLabel(steps[1] ?? {}, 1, 2), "step 2/2 build (execute-plan)")
    assert.strictEqual(stepLabel({}, 0, 1), "step 1/1")
  })
  it("refuses unknown keys, bad models, empty lists and later steps with nothing to send, naming the step", () => {
    assert.strictEqual(
      err(parseSteps([{ agent: "plan" }, { agnt: "build", prompt: "x" }])),
      "step 2: unknown key agnt (allowed: agent, model, variant, command, prompt)"
    )
    assert.include(err(parseSteps([{ model: "claude" }])), "step 1:")
    assert.strictEqual(err(parseSteps([{ model: "claude" }])), "step 1: model: expected provider/model")
    assert.strictEqual(err(parseSteps([{ agent: "a b" }])), "step 1: agent: expected a name without spaces")
    assert.include(err(parseSteps([])), "non-empty list")
    assert.include(err(parseSteps({ agent: "plan" })), "non-empty list")
    assert.include(err(parseSteps(["plan"])), "step 1 must be a mapping")
    assert.include(err(parseSteps([{}, { agent: "build" }])), "step 2 needs a prompt or a command")
    assert.include(err(parseSteps([{ agent: "my agent" }])), "step 1:")
  })
  it("--agent/--model/--variant make or amend a single-step task; with several steps they are refused", () => {
    assert.deepStrictEqual(ok(stepsForAdd(undefined, {})), undefined)
    assert.deepStrictEqual(ok(stepsForAdd(undefined, { agent: "plan", model: "p/m", variant: undefined })), [
      { agent: "plan", model: "p/m" }
    ])
    assert.deepStrictEqual(ok(stepsForAdd([{ agent: "plan", command: "c" }], { model: "p/m" })), [
      { agent: "plan", command: "c", model: "p/m" }
    ])
    assert.include(
      err(stepsForAdd([{}, { prompt: "b" }], { agent: "x" })),
      "--agent set the fields of a single-step task"
    )
    assert.include(err(stepsForAdd(undefined, { model: "nope" })), "provider/model")
  })
  it("the first step sends the task body unless it has a prompt; a later command gets its prompt or nothing", () => {
    assert.strictEqual(stepText({}, 0, "body"), "body")
    assert.strictEqual(stepText({ command: "c" }, 0, "body"), "body")
    assert.strictEqual(stepText({ command: "c" }, 1, "body"), "")
    assert.strictEqual(stepText({ prompt: "p" }, 1, "body"), "p")
  })
  it("names what the server does not know: agents, commands, models", () => {
    const catalog = { agents: ["build", "plan"], commands: ["make-plan"], models: ["mock/a"] }
    assert.isUndefined(unknownInSteps([{ agent: "plan", command: "make-plan", model: "mock/a" }], catalog))
    assert.strictEqual(
      unknownInSteps([{ agent: "plan" }, { agent: "bild", command: "exec", model: "mock/b" }], catalog),
      "step 2/2 bild (exec): unknown agent bild (known: build, plan); step 2/2 bild (exec): unknown command exec " +
        "(known: make-plan); step 2/2 bild (exec): unknown model mock/b (known: mock/a)"
    )
    assert.isUndefined(unknownInSteps([{ model: "x/y" }], { ...catalog, models: undefined }))
  })
})

describe("queue/taskq.json steps", () => {
  it.live("are a TaskqConfig setting: good steps are the queue default, bad ones are refused naming the file", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const env = Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnvRecord({})))
      writeFileSync(join(dir, "taskq.json"), JSON.stringify({ steps: [{ agent: "plan", command: "make-plan" }] }))
      const config = yield* resolveConfig({ flags: { queueDir: Option.some(dir) } }).pipe(Effect.provide(env))
      assert.deepStrictEqual(config.values.steps, [{ agent: "plan", command: "make-plan" }])
      writeFileSync(join(dir, "taskq.json"), JSON.stringify({ steps: [{ agent: "plan", comand: "make-plan" }] }))
      const bad = yield* resolveConfig({ flags: { queueDir: Option.some(dir) } }).pipe(Effect.provide(env), Effect.flip)
      assert.include(bad.message, "taskq.json")
      assert.include(bad.message, "steps")
      rmSync(dir, { recursive: true, force: true })
    })
  )
})
