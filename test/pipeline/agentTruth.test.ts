// The agent's last error, read from OpenCode's own log lines, and the one line that says it.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Docker } from "../../src/adapters/Docker.js"
import { OpenCode, type SessionMessage } from "../../src/adapters/OpenCode.js"
import { StageError } from "../../src/core/errors.js"
import { explainIdle, lastLoggedError, withAgentTruth } from "../../src/pipeline/agentTruth.js"

// lines as OpenCode 1.18.33 prints them with --print-logs (seen with the scripted model answering 500)
const logs = [
  "timestamp=2026-11-26T08:56:29.918Z level=INFO run=a9 message=stream providerID=mock modelID=mock-model",
  'timestamp=2026-11-26T08:56:29.960Z level=ERROR run=a9 message="stream error" providerID=mock small=false error.error="AI_APICallError: upstream said 500"',
  'timestamp=2026-11-26T08:54:09.043Z level=ERROR run=68 message=process session.id=ses_1 error="upstream said \\"no\\"" stack="AI_APICallError: x\\n    at <anonymous>"',
  "timestamp=2026-11-26T08:56:32.397Z level=INFO run=a9 message=stream providerID=mock"
].join("\n")

describe("lastLoggedError", () => {
  it("the last ERROR line's error, unescaped, without its stack", () => {
    assert.strictEqual(lastLoggedError(logs), 'upstream said "no"')
    assert.strictEqual(lastLoggedError(logs.split("\n").slice(0, 2).join("\n")), "AI_APICallError: upstream said 500")
  })
  it("nothing when OpenCode logged no error", () => {
    assert.isUndefined(lastLoggedError("level=INFO message=stream\nopencode server listening on http://0.0.0.0:4096"))
  })
})

describe("explainIdle", () => {
  it("names the provider's error instead of the idle timeout", () => {
    const line = explainIdle("idle for 20s", { loggedError: "AI_APICallError: upstream said 500", logsTail: "" })
    assert.include(line, "AI_APICallError: upstream said 500")
    assert.include(line, "idle for 20s")
  })
  it("prefers the assistant message's error and its HTTP status", () => {
    const line = explainIdle("idle", {
      messageError: { text: "APIError: bad key", statusCode: 401 },
      loggedError: "older",
      logsTail: ""
    })
    assert.include(line, "APIError: bad key (HTTP 401)")
  })
  it("says nothing new when nothing failed: then it was just idle", () => {
    assert.isUndefined(explainIdle("idle", { logsTail: "level=INFO all fine" }))
  })
})

describe("withAgentTruth", () => {
  const server = { baseUrl: "http://127.0.0.1:1" }
  const logs = 'level=ERROR message="stream error" error.error="AI_APICallError: upstream said 500"\nlevel=INFO x'
  const fakes = (tail: string, messages: ReadonlyArray<SessionMessage> = []) =>
    Layer.mergeAll(
      Layer.mock(Docker)({ endpoint: "test", tail: () => Effect.succeed(tail) }),
      Layer.mock(OpenCode)({ messages: () => Effect.succeed(messages) })
    )
  const fail = (e: StageError) => Effect.fail(e).pipe(withAgentTruth(server, "ses_1", "task-x"), Effect.flip)
  const idle = new StageError({
    stage: "agent-timeout",
    exitCode: 124,
    stdout: "",
    stderr: "the agent was idle for 6s without finishing; session aborted"
  })

  it.effect("an idle timeout that hid a provider failure becomes that failure, with the log tail", () =>
    Effect.gen(function* () {
      const e = yield* fail(idle)
      assert.strictEqual(e.stage, "agent")
      assert.include(e.stderr, "AI_APICallError: upstream said 500")
      assert.strictEqual(e.stdout, logs)
    }).pipe(Effect.provide(fakes(logs)))
  )

  it.effect("the assistant message's error wins over the log; our own abort is not the cause", () =>
    Effect.gen(function* () {
      const message = (name: string, text: string): SessionMessage => ({
        info: { id: name, role: "assistant", error: { name, data: { message: text } } },
        parts: []
      })
      const e = yield* fail(idle).pipe(
        Effect.provide(fakes(logs, [message("APIError", "bad gateway"), message("MessageAbortedError", "aborted")]))
      )
      assert.include(e.stderr, "APIError: bad gateway")
    })
  )

  it.effect("an idle agent with nothing failing stays an idle timeout", () =>
    Effect.gen(function* () {
      const e = yield* fail(idle)
      assert.strictEqual(e.stage, "agent-timeout")
      assert.strictEqual(e.stderr, idle.stderr)
    }).pipe(Effect.provide(fakes("level=INFO all quiet")))
  )

  it.effect("a session error keeps its status and message and gains the log tail", () =>
    Effect.gen(function* () {
      const e = yield* fail(new StageError({ stage: "agent", exitCode: 401, stdout: "", stderr: "APIError: no" }))
      assert.deepInclude(e, { stage: "agent", exitCode: 401, stderr: "APIError: no", stdout: logs })
    }).pipe(Effect.provide(fakes(logs)))
  )
})
