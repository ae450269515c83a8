// The Schema union of the OpenCode events taskq reads (pure: plain `it`).
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { decodeEvent } from "../../src/adapters/openCodeEvents.js"

const decoded = (e: unknown) => decodeEvent(JSON.stringify(e))

describe("OpenCode events", () => {
  it("decodes the events the pipeline reads, keeping the facts it needs", () => {
    assert.deepStrictEqual(
      decoded({ type: "session.status", properties: { sessionID: "s", status: { type: "busy" }, extra: 1 } }),
      Option.some({ type: "session.status", properties: { sessionID: "s", status: { type: "busy" } } })
    )
    const error = decoded({
      type: "session.error",
      properties: { sessionID: "s", error: { name: "APIError", data: { message: "bad", statusCode: 400 } } }
    })
    assert.deepStrictEqual(
      Option.map(error, (e) => e.properties.error),
      Option.some({ name: "APIError", data: { message: "bad", statusCode: 400 } })
    )
    const asked = decoded({ type: "permission.asked", properties: { id: "p1", sessionID: "s", permission: "bash" } })
    assert.deepStrictEqual(
      Option.map(asked, (e) => e.properties.id),
      Option.some("p1")
    )
  })

  it("any other event keeps its properties as they are (its session counts as activity)", () => {
    const part = { type: "message.part.updated", properties: { part: { sessionID: "s", text: "hi" } } }
    assert.deepStrictEqual(decoded(part), Option.some(part))
    assert.deepStrictEqual(
      decoded({ type: "server.connected", properties: {} }),
      Option.some({ type: "server.connected", properties: {} })
    )
  })

  it("what is not a JSON event at all is dropped", () => {
    assert.isTrue(Option.isNone(decodeEvent("not json")))
    assert.isTrue(Option.isNone(decodeEvent(JSON.stringify({ properties: {} }))))
    assert.isTrue(Option.isNone(decodeEvent(JSON.stringify([1, 2]))))
  })
})
