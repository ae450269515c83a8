// The OpenCode adapter against the real binary in the real worker image, driven by the scripted model.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Docker } from "../../src/adapters/Docker.js"
import { Git } from "../../src/adapters/Git.js"
import { OpenCode, type ServerRef } from "../../src/adapters/OpenCode.js"
import { DEFAULT_IMAGE } from "../../src/core/constants.js"
import { type TaskRecord, TaskId } from "../../src/core/task.js"
import { mergeAgentConfig } from "../../src/pipeline/agentConfig.js"
import { taskContainerSpec } from "../../src/adapters/containerBox.js"
import { sealAttemptDir, taskUser } from "../../src/pipeline/ownership.js"
import { TaskqConfig } from "../../src/support/config.js"
import { ensureWorkerImage, mockModelConfig, scripted, startBridgeModel } from "../helpers/agentRuntime.js"
import { makeRepo, tempDir } from "../helpers/fixtures.js"
import type { ScriptedModel } from "../support/scriptedModel.js"

const Live = Layer.mergeAll(Docker.layer, Git.layer, OpenCode.layer).pipe(
  Layer.provideMerge(TaskqConfig.layer),
  Layer.provideMerge(NodeServices.layer)
)
const prompting = { idleTimeout: "60 seconds", wallTimeout: "120 seconds", askPolicy: "fail" } as const

/** A worktree, attempt dirs and a running worker container for it; removed when the scope closes. */
const agentContainer = (model: ScriptedModel, options: { readonly password?: string } = {}) =>
  Effect.gen(function* () {
    const docker = yield* Docker
    const g = yield* Git
    const id = `oc-${Math.random().toString(36).slice(2, 8)}`
    const repo = makeRepo()
    const dir = tempDir()
    const wt = join(dir, "wt")
    yield* g.addWorktree(repo, wt, `taskq/${id}`, "main")
    const dirs = {
      attemptDir: join(dir, "attempt-1"),
      configDir: join(dir, "attempt-1", "config"),
      dataDir: join(dir, "attempt-1", "data")
    }
    mkdirSync(dirs.configDir, { recursive: true })
    mkdirSync(dirs.dataDir, { recursive: true })
    writeFileSync(join(dirs.configDir, "opencode.json"), JSON.stringify(mergeAgentConfig(mockModelConfig(model.port))))
    const box = yield* g.prepareBox(repo, wt, `taskq/${id}`, dirs.attemptDir)
    const user = yield* taskUser(repo)
    yield* sealAttemptDir(user, dirs.attemptDir, [dirs.configDir, dirs.dataDir])
    const now = new Date().toISOString()
    const task: TaskRecord = {
      id: TaskId.make(id),
      repo,
      base: "main",
      branch: `taskq/${id}`,
      worktree_path: wt,
      status: "in_progress",
      attempt: 1,
      created_at: now,
      updated_at: now,
      task_file: join(dir, "t.md")
    }
    const spec = taskContainerSpec({
      task,
      image: DEFAULT_IMAGE,
      user,
      gitMounts: box.mounts,
      dirs,
      env: options.password ? { OPENCODE_SERVER_PASSWORD: options.password } : {}
    })
    yield* Effect.addFinalizer(() => docker.removeTaskContainers(id).pipe(Effect.ignore))
    const started = yield* docker.startContainer(spec)
    const server: ServerRef = {
      baseUrl: `http://127.0.0.1:${started.hostPort}`,
      ...(options.password ? { password: options.password } : {})
    }
    return { id, wt, user, server, container: started.name }
  })

layer(Live, { timeout: 300_000, excludeTestServices: true })(
  "OpenCode (real binary in the worker image, scripted model)",
  (it) => {
    let model: ScriptedModel
    it.beforeAll(async () => {
      ensureWorkerImage()
      model = await startBridgeModel()
    }, 300_000)
    it.afterAll(async () => {
      await model?.close()
    })

    it.effect("a write tool call lands in the mounted worktree, owned by the container user; git works inside", () =>
      Effect.gen(function* () {
        const oc = yield* OpenCode
        const { wt, user, server } = yield* agentContainer(model)
        const started = Date.now()
        assert.strictEqual(yield* oc.waitReady(server, "60 seconds"), "1.18.33")
        const ready = Date.now()
        const session = yield* oc.createSession(server, "write hello")
        yield* oc.prompt(
          server,
          session,
          scripted("Write hello.txt.", [
            { tool: "write", args: { filePath: "hello.txt", content: "hello from the agent\n" } },
            { tool: "bash", args: { command: "git status --porcelain", description: "git status" } },
            { text: "All done." }
          ]),
          prompting
        )
        const idle = Date.now()
        assert.strictEqual(readFileSync(join(wt, "hello.txt"), "utf8"), "hello from the agent\n")
        assert.strictEqual(statSync(join(wt, "hello.txt")).uid, user.uid)
        const messages = yield* oc.messages(server, session)
        const tools = messages.flatMap((m) => m.parts).filter((p) => p.type === "tool")
        assert.deepStrictEqual(
          tools.map((t) => [t.tool, t.state?.status]),
          [
            ["write", "completed"],
            ["bash", "completed"]
          ]
        )
        assert.include(tools[1]?.state?.output ?? "", "?? hello.txt")
        assert.include(
          messages
            .flatMap((m) => m.parts)
            .filter((p) => p.type === "text")
            .map((p) => p.text)
            .join(" "),
          "All done."
        )
        assert.deepStrictEqual(yield* oc.busySessions(server), [])
        console.log(`container start -> server ready: ${ready - started} ms; prompt -> idle: ${idle - ready} ms`)
      })
    )

    it.effect("a model HTTP error is an AgentFailed with the provider's status", () =>
      Effect.gen(function* () {
        const oc = yield* OpenCode
        const { server } = yield* agentContainer(model)
        yield* oc.waitReady(server, "60 seconds")
        const session = yield* oc.createSession(server, "provider error")
        const e = yield* oc
          .prompt(server, session, scripted("Fail.", [{ httpError: 400, message: "scripted bad request" }]), prompting)
          .pipe(Effect.flip)
        assert.strictEqual(e._tag, "AgentFailed")
        if (e._tag === "AgentFailed") assert.strictEqual(e.statusCode, 400)
        assert.include(e.message, "scripted bad request")
      })
    )

    it.effect("a turn that never ends hits the idle timeout and the session is aborted", () =>
      Effect.gen(function* () {
        const oc = yield* OpenCode
        const { server } = yield* agentContainer(model)
        yield* oc.waitReady(server, "60 seconds")
        const session = yield* oc.createSession(server, "hang")
        const started = Date.now()
        const e = yield* oc
          .prompt(server, session, scripted("Hang.", [{ hang: true }]), { ...prompting, idleTimeout: "4 seconds" })
          .pipe(Effect.flip)
        const elapsed = Date.now() - started
        assert.deepInclude(e, { _tag: "AgentTimeout", kind: "idle", after: "4s" })
        assert.include(e.message, "idle for 4s")
        assert.isBelow(elapsed, 30_000)
        // aborted: the session is no longer busy
        yield* Effect.sleep("1 second")
        assert.notInclude(yield* oc.busySessions(server), session)
      })
    )

    it.effect("a server password: unauthenticated probes are refused, the right password works", () =>
      Effect.gen(function* () {
        const oc = yield* OpenCode
        const { server } = yield* agentContainer(model, { password: "s3cret" })
        assert.strictEqual(yield* oc.waitReady(server, "60 seconds"), "1.18.33")
        const denied = yield* oc.waitReady({ baseUrl: server.baseUrl }, "3 seconds").pipe(Effect.flip)
        assert.strictEqual(denied._tag, "ServerNotReady")
        assert.include(denied.message, "HTTP 401")
        const wrong = yield* oc.createSession({ baseUrl: server.baseUrl, password: "nope" }, "x").pipe(Effect.flip)
        assert.deepInclude(wrong, { _tag: "HttpFailed", method: "POST", path: "/session", status: 401 })
        const session = yield* oc.createSession(server, "ok")
        assert.match(session, /^ses_/)
        // the event stream refuses a wrong password at once, with the server's answer, not a 10 s wait
        const refused = yield* oc
          .prompt({ baseUrl: server.baseUrl, password: "nope" }, session, "x", prompting)
          .pipe(Effect.flip)
        assert.deepInclude(refused, { _tag: "HttpFailed", path: "/event", status: 401 })
      })
    )

    it.effect("waitReady gives up with a clear error when nothing listens", () =>
      Effect.gen(function* () {
        const e = yield* (yield* OpenCode).waitReady({ baseUrl: "http://127.0.0.1:9" }, "2 seconds").pipe(Effect.flip)
        assert.deepInclude(e, { _tag: "ServerNotReady", after: "2s" })
        assert.include(e.message, "was not ready within 2s")
      })
    )
  }
)

describe("scripted model recording", () => {
  layer(Layer.empty)((it) => {
    it.effect("records agent calls apart from title requests", () =>
      Effect.promise(async () => {
        const { startScriptedModel } = await import("../support/scriptedModel.js")
        const m = await startScriptedModel()
        const post = (body: object) =>
          fetch(`${m.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify(body) })
        await (await post({ messages: [{ role: "user", content: "t" }] })).text()
        const r = await post({
          stream: false,
          tools: [{}],
          messages: [
            { role: "user", content: scripted("x", [{ tool: "write", args: { filePath: "a", content: "b" } }]) }
          ]
        })
        const body = (await r.json()) as {
          choices: Array<{ message: { tool_calls: Array<{ function: { name: string; arguments: string } }> } }>
        }
        assert.strictEqual(body.choices[0]?.message.tool_calls[0]?.function.name, "write")
        assert.deepStrictEqual(JSON.parse(body.choices[0]?.message.tool_calls[0]?.function.arguments ?? "{}"), {
          filePath: "a",
          content: "b"
        })
        const failing = await post({
          tools: [{}],
          messages: [{ role: "user", content: scripted("x", [{ httpError: 503, message: "down" }]) }]
        })
        assert.strictEqual(failing.status, 503)
        assert.strictEqual(m.requests.length, 3)
        assert.strictEqual(m.agentCalls().length, 2)
        await m.close()
      })
    )
  })
})
