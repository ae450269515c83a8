/**
 * A scripted OpenAI-compatible model server for tests and the demo. No LLM: the replies come from a
 * script in the prompt, one step per model call:
 *
 *   MOCK_SCRIPT: [{"tool":"write","args":{"filePath":"x.txt","content":"hi\n"}},{"text":"done"}]
 *
 * Steps: `{tool, args}` (a tool call), `{text}` (final answer), `{httpError, message}` (a provider
 * failure), `{hang: true}` (a turn that never ends); any step may add `delayMs`. The step index is
 * the number of assistant messages after the last user message. Without a script the model writes
 * `mock-output.txt` and then answers. Every request is recorded (`GET /_requests`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export type ToolStep = { readonly tool: string; readonly args: Record<string, unknown>; readonly delayMs?: number }
export type TextStep = { readonly text: string; readonly delayMs?: number }
type ReplyStep = ToolStep | TextStep
export type Step =
  | ToolStep
  | TextStep
  | { readonly httpError: number; readonly message?: string; readonly delayMs?: number }
  | { readonly hang: true; readonly delayMs?: number }

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string | ReadonlyArray<string> | undefined>
  readonly body: unknown
  readonly at: number
}

interface ChatMessage {
  readonly role: string
  readonly content?: unknown
  readonly tool_calls?: unknown
}
interface ChatRequest {
  readonly messages?: ReadonlyArray<ChatMessage>
  readonly tools?: ReadonlyArray<unknown>
  readonly stream?: boolean
  readonly model?: string
}

export interface ScriptedModel {
  readonly url: string
  readonly port: number
  readonly requests: ReadonlyArray<RecordedRequest>
  /** The chat-completion requests that were agent turns (not title generation). */
  readonly agentCalls: () => ReadonlyArray<RecordedRequest>
  readonly close: () => Promise<void>
}

const textOf = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((p) => (typeof p === "object" && p !== null && "text" in p ? String(p.text) : "")).join("\n")
      : ""

/** The script of the latest user message that has one: each step of a multi-step task may bring its own. */
export const findScript = (messages: ReadonlyArray<ChatMessage>): ReadonlyArray<Step> | undefined => {
  for (const m of [...messages].reverse()) {
    if (m.role !== "user") continue
    const match = textOf(m.content).match(/MOCK_SCRIPT:\s*(\[.*\])\s*$/m)
    if (match?.[1]) return JSON.parse(match[1]) as ReadonlyArray<Step>
  }
  return undefined
}

const stepIndex = (messages: ReadonlyArray<ChatMessage>): number => {
  let lastUser = -1
  messages.forEach((m, i) => {
    if (m.role === "user") lastUser = i
  })
  return messages.slice(lastUser + 1).filter((m) => m.role === "assistant").length
}

const isTitleRequest = (req: ChatRequest): boolean =>
  !req.tools ||
  req.tools.length === 0 ||
  (req.messages ?? []).some((m) => m.role === "system" && textOf(m.content).includes("title generator"))

const workingDirectory = (messages: ReadonlyArray<ChatMessage>): string =>
  messages.map((m) => textOf(m.content).match(/Working directory: (\S+)/)?.[1]).find(Boolean) ?? "."

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((done, fail) => {
    let data = ""
    req.setEncoding("utf8")
    req.on("data", (c: string) => {
      data += c
    })
    req.on("end", () => done(data))
    req.on("error", fail)
  })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let counter = 0

const chunk = (model: string, delta: object, finish: string | null = null) => ({
  id: `chatcmpl-${++counter}`,
  object: "chat.completion.chunk",
  created: Math.floor(Date.now() / 1000),
  model,
  choices: [{ index: 0, delta, finish_reason: finish }]
})

/** Streams a text answer or a tool call as OpenAI chat.completion.chunk events. */
const streamStep = (res: ServerResponse, model: string, step: ReplyStep) => {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
  const send = (o: object) => res.write(`data: ${JSON.stringify(o)}\n\n`)
  send(chunk(model, { role: "assistant", content: "" }))
  if ("tool" in step) {
    const args = JSON.stringify(step.args)
    const id = `call_${++counter}`
    send(
      chunk(model, { tool_calls: [{ index: 0, id, type: "function", function: { name: step.tool, arguments: "" } }] })
    )
    const half = Math.ceil(args.length / 2)
    for (const part of [args.slice(0, half), args.slice(half)])
      send(chunk(model, { tool_calls: [{ index: 0, function: { arguments: part } }] }))
    send(chunk(model, {}, "tool_calls"))
  } else {
    for (const word of step.text.split(/(?<= )/)) send(chunk(model, { content: word }))
    send(chunk(model, {}, "stop"))
  }
  send({
    id: `chatcmpl-${++counter}`,
    object: "chat.completion.chunk",
    created: 0,
    model,
    choices: [],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
  })
  res.end("data: [DONE]\n\n")
}

const completion = (res: ServerResponse, model: string, step: ReplyStep) => {
  const message =
    "tool" in step
      ? {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: `call_${++counter}`,
              type: "function",
              function: { name: step.tool, arguments: JSON.stringify(step.args) }
            }
          ]
        }
      : { role: "assistant", content: step.text }
  res.writeHead(200, { "content-type": "application/json" })
  res.end(
    JSON.stringify({
      id: `chatcmpl-${++counter}`,
      object: "chat.completion",
      created: 0,
      model,
      choices: [{ index: 0, message, finish_reason: "tool" in step ? "tool_calls" : "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
    })
  )
}

/** Starts the server on `host:port` (port 0: a free one). */
export const startScriptedModel = async (options: { host?: string; port?: number } = {}): Promise<ScriptedModel> => {
  const requests: Array<RecordedRequest> = []
  const hanging = new Set<ServerResponse>()
  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req)
    const path = (req.url ?? "/").split("?")[0] ?? "/"
    let body: unknown = raw
    try {
      body = raw ? JSON.parse(raw) : undefined
    } catch {
      /* keep the raw text */
    }
    if (!path.startsWith("/_"))
      requests.push({ method: req.method ?? "", path, headers: req.headers, body, at: Date.now() })

    if (path === "/_requests")
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(requests))
    if (path === "/_reset") {
      requests.length = 0
      return void res.writeHead(204).end()
    }
    if (path === "/v1/models") {
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ object: "list", data: [{ id: "mock-model", object: "model" }] }))
    }
    if (path !== "/v1/chat/completions" || req.method !== "POST") return void res.writeHead(404).end()

    const chat = (body ?? {}) as ChatRequest
    const model = chat.model ?? "mock-model"
    const messages = chat.messages ?? []
    const reply = (step: ReplyStep) =>
      chat.stream === false ? completion(res, model, step) : streamStep(res, model, step)
    if (isTitleRequest(chat)) return reply({ text: "Mock session title" })

    let script: ReadonlyArray<Step> | undefined
    try {
      script = findScript(messages)
    } catch (e) {
      return void res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: `bad MOCK_SCRIPT: ${String(e)}` } }))
    }
    const steps: ReadonlyArray<Step> = script ?? [
      {
        tool: "write",
        args: { filePath: `${workingDirectory(messages)}/mock-output.txt`, content: "written by the scripted model\n" }
      },
      { text: "Done: wrote mock-output.txt." }
    ]
    const step = steps[stepIndex(messages)] ?? { text: "done" }
    if (step.delayMs) await sleep(step.delayMs)
    if ("httpError" in step) {
      res.writeHead(step.httpError, { "content-type": "application/json" })
      return void res.end(
        JSON.stringify({
          error: {
            message: step.message ?? `scripted error ${step.httpError}`,
            type: "scripted_error",
            code: step.httpError
          }
        })
      )
    }
    if ("hang" in step) {
      // a turn that never ends: headers and a first empty delta, then silence until the client goes
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(`data: ${JSON.stringify(chunk(model, { role: "assistant", content: "" }))}\n\n`)
      hanging.add(res)
      res.on("close", () => hanging.delete(res))
      return
    }
    reply(step)
  })
  await new Promise<void>((done, fail) => {
    server.once("error", fail)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => done())
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    agentCalls: () =>
      requests.filter((r) => r.path === "/v1/chat/completions" && !isTitleRequest((r.body ?? {}) as ChatRequest)),
    close: () =>
      new Promise<void>((done) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => done())
      })
  }
}
