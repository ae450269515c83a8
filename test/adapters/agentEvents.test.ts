import { assert, describe, it } from "@effect/vitest"
import { type AgentEvent, type AgentState, initialState, sessionOf, step } from "../../src/adapters/agentEvents.js"

const ev = (type: string, properties: Record<string, unknown> = {}): AgentEvent => ({
  type,
  properties: { sessionID: "ses_1", ...properties }
})
const fold = (events: ReadonlyArray<AgentEvent>, policy: "fail" | "deny" | "allow" = "deny") => {
  let state: AgentState = initialState
  const actions: Array<string> = []
  for (const e of events) {
    const [next, action] = step(state, e, policy)
    state = next
    actions.push(action._tag)
  }
  return actions
}
const busy = ev("session.status", { status: { type: "busy" } })

describe("agent event rules", () => {
  it("busy then idle is done; an idle before any busy means nothing", () => {
    assert.deepStrictEqual(fold([ev("session.idle"), busy, ev("message.part.delta"), ev("session.idle")]), [
      "Continue",
      "Continue",
      "Continue",
      "Done"
    ])
    assert.deepStrictEqual(fold([busy, ev("session.status", { status: { type: "idle" } })]), ["Continue", "Done"])
  })
  it("session.error then idle is a failure carrying the provider's message and status", () => {
    let state = initialState
    for (const e of [
      busy,
      ev("session.error", { error: { name: "APIError", data: { message: "bad key", statusCode: 401 } } })
    ])
      state = step(state, e, "deny")[0]
    const [, action] = step(state, ev("session.idle"), "deny")
    assert.deepStrictEqual(action, { _tag: "Failed", reason: "APIError: bad key", statusCode: 401 })
  })
  it("a permission request is answered by policy, never left hanging", () => {
    const asked = ev("permission.asked", { id: "per_1", permission: "external_directory", patterns: ["/etc"] })
    assert.deepInclude(step(initialState, asked, "deny")[1], {
      _tag: "ReplyPermission",
      requestId: "per_1",
      reply: "reject"
    })
    assert.deepInclude(step(initialState, asked, "allow")[1], {
      _tag: "ReplyPermission",
      requestId: "per_1",
      reply: "always"
    })
    assert.deepInclude(step(initialState, asked, "fail")[1], { _tag: "Blocked", kind: "permission" })
    assert.include((step(initialState, asked, "fail")[1] as { what: string }).what, "external_directory")
  })
  it("a question is rejected (nobody can answer) or fails the task by policy", () => {
    const q = ev("question.asked", { id: "que_1", questions: [{ question: "Which DB?" }] })
    assert.deepInclude(step(initialState, q, "deny")[1], { _tag: "RejectQuestion", requestId: "que_1" })
    assert.deepInclude(step(initialState, q, "allow")[1], { _tag: "RejectQuestion" })
    assert.deepInclude(step(initialState, q, "fail")[1], { _tag: "Blocked", kind: "question" })
    assert.deepInclude(step(initialState, ev("question.v2.asked", { id: "que_2", questions: [] }), "fail")[1], {
      _tag: "Blocked"
    })
  })
  it("finds the session of an event wherever OpenCode puts it", () => {
    assert.strictEqual(sessionOf({ type: "message.updated", properties: { info: { sessionID: "a" } } }), "a")
    assert.strictEqual(sessionOf({ type: "message.part.updated", properties: { part: { sessionID: "b" } } }), "b")
    assert.strictEqual(sessionOf({ type: "server.heartbeat", properties: {} }), undefined)
  })
})
