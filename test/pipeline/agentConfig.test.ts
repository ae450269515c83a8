import { assert, describe, it } from "@effect/vitest"
import { attachPollValue } from "../../src/cli/taskq.js"
import { deepMerge, mergeAgentConfig } from "../../src/pipeline/agentConfig.js"

describe("agent config", () => {
  it("keeps the template and enforces no auto-update, no sharing, permissions that never ask", () => {
    const merged = mergeAgentConfig({
      model: "anthropic/x",
      autoupdate: true,
      share: "auto",
      permission: { bash: "ask", edit: "allow" },
      provider: { a: { options: { k: 1 } } }
    })
    assert.strictEqual(merged.model, "anthropic/x")
    assert.strictEqual(merged.autoupdate, false)
    assert.strictEqual(merged.share, "disabled")
    assert.deepStrictEqual(merged.permission, { bash: "ask", edit: "allow", "*": "allow", question: "deny" })
    assert.deepStrictEqual(merged.provider, { a: { options: { k: 1 } } })
    assert.deepStrictEqual(mergeAgentConfig({ permission: "ask" }).permission, { "*": "allow", question: "deny" })
  })
  it("deepMerge merges objects and replaces arrays and scalars", () => {
    assert.deepStrictEqual(deepMerge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: 2 }), {
      a: { b: 1, c: [2] },
      d: 2
    })
  })
})

describe("--poll with a separate value", () => {
  it("is rewritten to the attached form; other numbers are left alone", () => {
    assert.deepStrictEqual(attachPollValue(["run", "--poll", "10", "--max-parallel", "3"]), [
      "run",
      "--poll=10",
      "--max-parallel",
      "3"
    ])
    assert.deepStrictEqual(attachPollValue(["run", "--poll", "--max-parallel", "3"]), [
      "run",
      "--poll",
      "--max-parallel",
      "3"
    ])
    assert.deepStrictEqual(attachPollValue(["run", "--max-parallel", "3", "--poll"]), [
      "run",
      "--max-parallel",
      "3",
      "--poll"
    ])
  })
})
