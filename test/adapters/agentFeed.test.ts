import { assert, describe, it } from "@effect/vitest"
import type { AgentEvent } from "../../src/adapters/agentEvents.js"
import { feed, initialFeed } from "../../src/adapters/agentFeed.js"

const ev = (type: string, properties: Record<string, unknown>): AgentEvent => ({ type, properties })
const run = (events: ReadonlyArray<AgentEvent>, dir?: string) => {
  let state = initialFeed
  const out: Array<string> = []
  for (const e of events) {
    const [next, lines] = feed(state, e, dir)
    state = next
    out.push(...lines)
  }
  return out
}
const delta = (partID: string, d: string) =>
  ev("message.part.delta", { sessionID: "s", partID, field: "text", delta: d })
const tool = (callID: string, tool: string, status: string, input: object, extra: object = {}) =>
  ev("message.part.updated", {
    part: { id: `prt_${callID}`, type: "tool", tool, callID, state: { status, input, ...extra } }
  })

describe("--follow feed", () => {
  it("shows streamed text as whole lines, the rest when the part ends, never twice", () => {
    assert.deepStrictEqual(
      run([
        delta("p1", "I will "),
        delta("p1", "edit the file.\nThen"),
        delta("p1", " test"),
        ev("message.part.updated", {
          part: { id: "p1", type: "text", text: "I will edit the file.\nThen test it.", time: { end: 1 } }
        }),
        ev("message.part.updated", {
          part: { id: "p1", type: "text", text: "I will edit the file.\nThen test it.", time: { end: 1 } }
        })
      ]),
      ["I will edit the file.", "Then test it."]
    )
  })
  it("never shows the prompt: text of the user's messages is not the agent's", () => {
    assert.deepStrictEqual(
      run([
        ev("message.updated", { info: { id: "msg_u", role: "user" } }),
        ev("message.part.updated", {
          part: { id: "p0", messageID: "msg_u", type: "text", text: "Do the task.\n", time: { end: 1 } }
        }),
        ev("message.part.updated", {
          part: { id: "p1", messageID: "msg_a", type: "text", text: "Done.", time: { end: 2 } }
        })
      ]),
      ["Done."]
    )
  })
  it("shows each finished tool call once: files relative to the worktree, bash with its exit status", () => {
    assert.deepStrictEqual(
      run(
        [
          tool("c1", "edit", "running", { filePath: "/wt/src/x.ts" }),
          tool("c1", "edit", "completed", { filePath: "/wt/src/x.ts" }),
          tool("c1", "edit", "completed", { filePath: "/wt/src/x.ts" }),
          tool("c2", "bash", "completed", { command: "npm test", description: "run tests" }, { metadata: { exit: 1 } }),
          tool("c3", "write", "error", { filePath: "/elsewhere/y" }, { error: "permission denied" }),
          tool("c4", "grep", "completed", { pattern: "TODO" }),
          tool("c5", "todowrite", "completed", {}, { title: "3 todos" })
        ],
        "/wt"
      ),
      [
        "edit src/x.ts",
        "bash: npm test -> exit 1",
        "write /elsewhere/y -> error: permission denied",
        "grep TODO",
        "todowrite 3 todos"
      ]
    )
  })
  it("shows tokens and cost of each completed model turn, once", () => {
    const turn = ev("message.updated", {
      info: {
        id: "msg_1",
        role: "assistant",
        time: { created: 1, completed: 2 },
        tokens: { input: 10, output: 5, reasoning: 0, cache: { read: 3, write: 0 } },
        cost: 0.0012,
        providerID: "mock",
        modelID: "mock-model"
      }
    })
    const pending = ev("message.updated", { info: { id: "msg_2", role: "assistant", time: { created: 3 } } })
    assert.deepStrictEqual(run([pending, turn, turn, ev("message.updated", { info: { id: "u", role: "user" } })]), [
      "tokens in 10, out 5 (cache read 3, write 0), cost $0.0012 [mock/mock-model]"
    ])
  })
})
