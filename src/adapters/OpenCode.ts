/**
 * The OpenCode server's HTTP API (v1) through Effect's HttpClient: readiness, sessions, prompts,
 * the event stream and aborts. Effect's client rather than @opencode-ai/sdk: failures stay typed and
 * interruptible (the SDK returns `{ error: {} }` and swallows timeouts), and it adds no dependency.
 * The parts live beside it: `openCodeHttp.ts` (calls and the event stream), `openCodePrompt.ts`
 * (one step of a session, followed to its end), `openCodePayloads.ts` (what the server answers).
 */
import { Context, Duration, Effect, Layer, Schedule, Schema } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import {
  type PromptError,
  type RequestError,
  ServerIgnoresPassword,
  ServerNotReady,
  UnexpectedPayload
} from "./openCodeErrors.js"
import { formatDuration, makeOpenCodeHttp, type ServerRef } from "./openCodeHttp.js"
import {
  type Catalog,
  Health,
  MessageInfos,
  NamedList,
  Providers,
  Session,
  SessionMessage,
  SessionStatuses,
  type Usage,
  usageOf
} from "./openCodePayloads.js"
import { abortSession, type AgentMessage, type PromptOptions, sendMessage } from "./openCodePrompt.js"

export type { ServerRef } from "./openCodeHttp.js"
export type { AgentMessage, PromptOptions } from "./openCodePrompt.js"
export { type Catalog, MessagePart, SessionMessage, Usage } from "./openCodePayloads.js"

export class OpenCode extends Context.Service<
  OpenCode,
  {
    /** Polls `/global/health` (each probe at most 1 s: the first can hang) until it answers; returns the version. */
    readonly waitReady: (
      server: ServerRef,
      timeout: Duration.Input
    ) => Effect.Effect<string, ServerNotReady | ServerIgnoresPassword | RequestError>
    readonly createSession: (server: ServerRef, title: string) => Effect.Effect<string, RequestError>
    /**
     * Sends `text` as a prompt and follows the session's events until it is idle. `session.error`,
     * a blocked permission or question, the idle and the wall-clock timeouts are failures; on a
     * timeout or a block the session is aborted first.
     */
    readonly prompt: (
      server: ServerRef,
      sessionId: string,
      text: string,
      options: PromptOptions
    ) => Effect.Effect<void, PromptError>
    /** Like `prompt`, for one step: a prompt or a command, with its agent, model and variant. */
    readonly send: (
      server: ServerRef,
      sessionId: string,
      message: AgentMessage,
      options: PromptOptions
    ) => Effect.Effect<void, PromptError>
    readonly catalog: (server: ServerRef) => Effect.Effect<Catalog, RequestError>
    /** Tokens and cost of the session so far, summed over its model turns. */
    readonly usage: (server: ServerRef, sessionId: string) => Effect.Effect<Usage, RequestError>
    /** Whether the server has this session (`GET /session/{id}`: 404 is false). */
    readonly hasSession: (server: ServerRef, sessionId: string) => Effect.Effect<boolean, RequestError>
    readonly messages: (
      server: ServerRef,
      sessionId: string
    ) => Effect.Effect<ReadonlyArray<SessionMessage>, RequestError>
    readonly abort: (server: ServerRef, sessionId: string) => Effect.Effect<void, RequestError>
    /** Session ids currently busy or retrying (idle sessions are absent). */
    readonly busySessions: (server: ServerRef) => Effect.Effect<ReadonlyArray<string>, RequestError>
  }
>()("taskq/adapters/OpenCode") {
  static readonly layer = Layer.effect(
    OpenCode,
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      return makeOpenCode(client)
    })
  ).pipe(Layer.provide(FetchHttpClient.layer))
}

const makeOpenCode = (client: HttpClient.HttpClient) => {
  const http = makeOpenCodeHttp(client)
  const { call, callJson } = http

  const send = Effect.fn("OpenCode.send")(function* (
    server: ServerRef,
    sessionId: string,
    message: AgentMessage,
    options: PromptOptions
  ) {
    return yield* sendMessage(http, server, sessionId, message, options)
  })

  return OpenCode.of({
    waitReady: Effect.fn("OpenCode.waitReady")(function* (server: ServerRef, timeout: Duration.Input) {
      const probe = callJson(Health, server, "GET", "/global/health", undefined, "1 second").pipe(
        Effect.filterOrFail(
          (h) => h.healthy,
          (h) =>
            new UnexpectedPayload({
              method: "GET",
              path: "/global/health",
              reason: "server not healthy yet",
              body: JSON.stringify(h)
            })
        )
      )
      let last = "no answer"
      const h = yield* probe.pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            last = e.message
          })
        ),
        Effect.retry({ schedule: Schedule.spaced("250 millis") }),
        Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(undefined) }),
        Effect.mapError(() => new ServerNotReady({ url: server.baseUrl, after: formatDuration(timeout), last }))
      )
      // a password the server ignores protects nothing: without it, the server must answer 401
      if (server.password !== undefined) {
        const open = yield* call({ baseUrl: server.baseUrl }, "GET", "/global/health", undefined, "5 seconds").pipe(
          Effect.as(true),
          Effect.catchTag("HttpFailed", (e) => (e.status === 401 ? Effect.succeed(false) : Effect.fail(e)))
        )
        if (open) return yield* new ServerIgnoresPassword({ url: server.baseUrl })
      }
      return h.version ?? "unknown"
    }),
    createSession: Effect.fn("OpenCode.createSession")(function* (server: ServerRef, title: string) {
      return (yield* callJson(Session, server, "POST", "/session", { title })).id
    }),
    prompt: Effect.fn("OpenCode.prompt")(function* (
      server: ServerRef,
      sessionId: string,
      text: string,
      options: PromptOptions
    ) {
      return yield* send(server, sessionId, { text }, options)
    }),
    send,
    catalog: Effect.fn("OpenCode.catalog")(function* (server: ServerRef) {
      const names = (path: string) =>
        callJson(NamedList, server, "GET", path).pipe(Effect.map((xs) => xs.map((x) => x.name)))
      const models = yield* callJson(Providers, server, "GET", "/config/providers", undefined, "10 seconds").pipe(
        Effect.map((p) => p.providers.flatMap((pr) => Object.keys(pr.models).map((m) => `${pr.id}/${m}`))),
        Effect.orElseSucceed(() => undefined)
      )
      return { agents: yield* names("/agent"), commands: yield* names("/command"), models } satisfies Catalog
    }),
    usage: Effect.fn("OpenCode.usage")(function* (server: ServerRef, sessionId: string) {
      return usageOf(yield* callJson(MessageInfos, server, "GET", `/session/${sessionId}/message`))
    }),
    hasSession: Effect.fn("OpenCode.hasSession")(function* (server: ServerRef, sessionId: string) {
      return yield* call(server, "GET", `/session/${sessionId}`).pipe(
        Effect.as(true),
        Effect.catchTag("HttpFailed", (e) => (e.status === 404 ? Effect.succeed(false) : Effect.fail(e)))
      )
    }),
    messages: Effect.fn("OpenCode.messages")(function* (server: ServerRef, sessionId: string) {
      return yield* callJson(Schema.Array(SessionMessage), server, "GET", `/session/${sessionId}/message`)
    }),
    abort: Effect.fn("OpenCode.abort")(function* (server: ServerRef, sessionId: string) {
      return yield* abortSession(http, server, sessionId)
    }),
    busySessions: Effect.fn("OpenCode.busySessions")(function* (server: ServerRef) {
      return Object.keys(yield* callJson(SessionStatuses, server, "GET", "/session/status"))
    })
  })
}
