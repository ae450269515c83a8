// The OpenCode adapter's HTTP client, session following and payload decoding against a stub server on
// 127.0.0.1 (no container): every public method opens its `OpenCode.method` span, and each answers
// what the stub served. The real binary is OpenCode.test.ts's.
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { OpenCode, type ServerRef } from "../../src/adapters/OpenCode.js"
import { spanNamesOf, untracedMethods } from "../helpers/spans.js"

const SESSION = "ses_stub"

/** A stub OpenCode server: the routes taskq calls, and an event stream that goes busy then idle after a prompt. */
const stubServer = Effect.acquireRelease(
  Effect.callback<{ readonly server: ServerRef; readonly close: () => void }>((resume) => {
    const streams = new Set<ServerResponse>()
    const emit = (event: unknown) => {
      for (const s of streams) s.write(`data: ${JSON.stringify(event)}\n\n`)
    }
    const json = (res: ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    const http = createServer((req, res) => {
      const route = `${req.method} ${req.url}`
      req.resume()
      switch (route) {
        case "GET /global/health":
          return json(res, 200, { healthy: true, version: "stub-1" })
        case "POST /session":
          return json(res, 200, { id: SESSION })
        case "GET /event":
          res.writeHead(200, { "content-type": "text/event-stream" })
          res.write(`data: ${JSON.stringify({ type: "server.connected", properties: {} })}\n\n`)
          streams.add(res)
          res.on("close", () => streams.delete(res))
          return
        case `POST /session/${SESSION}/prompt_async`:
          res.writeHead(204).end()
          emit({ type: "session.status", properties: { sessionID: SESSION, status: { type: "busy" } } })
          emit({ type: "session.idle", properties: { sessionID: SESSION } })
          return
        case "GET /agent":
          return json(res, 200, [{ name: "build" }, { name: "plan" }])
        case "GET /command":
          return json(res, 200, [{ name: "review" }])
        case "GET /config/providers":
          return json(res, 200, { providers: [{ id: "stub", models: { "m-1": {} } }] })
        case `GET /session/${SESSION}/message`:
          return json(res, 200, [
            { info: { id: "m1", role: "user" }, parts: [{ type: "text", text: "hi" }] },
            {
              info: {
                id: "m2",
                role: "assistant",
                cost: 0.25,
                tokens: { input: 10, output: 5, reasoning: 1, cache: { read: 2, write: 3 } }
              },
              parts: [{ type: "text", text: "done" }]
            }
          ])
        case `GET /session/${SESSION}`:
          return json(res, 200, { id: SESSION })
        case "GET /session/status":
          return json(res, 200, { [SESSION]: { type: "busy" } })
        case `POST /session/${SESSION}/abort`:
          return json(res, 200, true)
        default:
          return json(res, 404, { error: `no route ${route}` })
      }
    })
    http.listen(0, "127.0.0.1", () => {
      const { port } = http.address() as AddressInfo
      resume(
        Effect.succeed({
          server: { baseUrl: `http://127.0.0.1:${port}` },
          close: () => {
            for (const s of streams) s.end()
            http.closeAllConnections()
            http.close()
          }
        })
      )
    })
  }),
  ({ close }) => Effect.sync(close)
)

const prompting = { idleTimeout: "10 seconds", wallTimeout: "20 seconds", askPolicy: "fail" } as const

layer(OpenCode.layer, { excludeTestServices: true })("OpenCode (stub server)", (it) => {
  it.effect(
    "every method opens its OpenCode.method span and answers what the server served",
    () =>
      Effect.gen(function* () {
        const oc = yield* OpenCode
        const { server } = yield* stubServer
        const got: Record<string, unknown> = {}
        const names = yield* spanNamesOf(
          Effect.gen(function* () {
            got.version = yield* oc.waitReady(server, "5 seconds")
            got.session = yield* oc.createSession(server, "title")
            yield* oc.prompt(server, SESSION, "do it", prompting)
            yield* oc.send(server, SESSION, { text: "again", agent: "build", model: "stub/m-1" }, prompting)
            got.catalog = yield* oc.catalog(server)
            got.usage = yield* oc.usage(server, SESSION)
            got.has = yield* oc.hasSession(server, SESSION)
            got.missing = yield* oc.hasSession(server, "ses_none")
            got.messages = (yield* oc.messages(server, SESSION)).length
            yield* oc.abort(server, SESSION)
            got.busy = yield* oc.busySessions(server)
          })
        )
        assert.deepStrictEqual(untracedMethods("OpenCode", Object.keys(oc), names), [])
        assert.isTrue(
          names.includes("OpenCode.send") && names.indexOf("OpenCode.prompt") < names.indexOf("OpenCode.send")
        )
        assert.deepStrictEqual(got, {
          version: "stub-1",
          session: SESSION,
          catalog: { agents: ["build", "plan"], commands: ["review"], models: ["stub/m-1"] },
          usage: { turns: 1, input: 10, output: 5, reasoning: 1, cache_read: 2, cache_write: 3, cost: 0.25 },
          has: true,
          missing: false,
          messages: 2,
          busy: [SESSION]
        })
      }).pipe(Effect.scoped),
    30_000
  )

  it.effect(
    "a failing call is a typed HttpFailed with the path and status",
    () =>
      Effect.gen(function* () {
        const oc = yield* OpenCode
        const { server } = yield* stubServer
        const error = yield* oc.usage(server, "ses_none").pipe(Effect.flip)
        assert.strictEqual(error._tag, "HttpFailed")
        if (error._tag === "HttpFailed") {
          assert.strictEqual(error.status, 404)
          assert.strictEqual(error.path, "/session/ses_none/message")
        }
      }).pipe(Effect.scoped),
    30_000
  )
})
