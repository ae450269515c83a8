/**
 * The OpenCode server's HTTP API (v1) through Effect's HttpClient: readiness, sessions, prompts,
 * the event stream and aborts. Effect's client rather than @opencode-ai/sdk: failures stay typed and
 * interruptible (the SDK returns `{ error: {} }` and swallows timeouts), and it adds no dependency.
 */
import { Context, Deferred, Duration, Effect, Fiber, Layer, Option, Schedule, Schema, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { Sse } from "effect/encoding"
import {
  AgentBlocked,
  AgentFailed,
  AgentTimeout,
  HttpFailed,
  HttpTimeout,
  type PromptError,
  type RequestError,
  ServerIgnoresPassword,
  ServerLost,
  ServerNotReady,
  ServerUnreachable,
  UnexpectedPayload
} from "./openCodeErrors.js"
import { type AgentEvent, type AskPolicy, initialState, sessionOf, step } from "./agentEvents.js"
import { decodeEvent } from "./openCodeEvents.js"

export interface ServerRef {
  readonly baseUrl: string
  /** `OPENCODE_SERVER_PASSWORD` of the server, if it has one (Basic auth, user `opencode`). */
  readonly password?: string
}

export interface PromptOptions {
  /** Fail when the session shows no activity for this long. */
  readonly idleTimeout: Duration.Input
  /** Fail when the whole prompt takes longer than this. */
  readonly wallTimeout: Duration.Input
  readonly askPolicy: AskPolicy
  /** Sees every event of the session while the prompt runs (`--follow`). */
  readonly onEvent?: (e: AgentEvent) => Effect.Effect<void>
}

/** What one step sends: a prompt, or a configured command; either with an agent, a model, a variant. */
export interface AgentMessage {
  readonly agent?: string
  /** `provider/model`. */
  readonly model?: string
  readonly variant?: string
  /** A command (`POST /session/{id}/command`) with `text` as its arguments; otherwise `text` is the prompt. */
  readonly command?: string
  readonly text: string
}

/** What a session's model turns used, as OpenCode reports them per assistant message. */
export const Usage = Schema.Struct({
  turns: Schema.Number,
  input: Schema.Number,
  output: Schema.Number,
  reasoning: Schema.Number,
  cache_read: Schema.Number,
  cache_write: Schema.Number,
  cost: Schema.Number
})
export type Usage = typeof Usage.Type

/** The agents, commands and models a server knows (models: undefined when it would not list them). */
export interface Catalog {
  readonly agents: ReadonlyArray<string>
  readonly commands: ReadonlyArray<string>
  readonly models: ReadonlyArray<string> | undefined
}

export const MessagePart = Schema.Struct({
  type: Schema.String,
  text: Schema.optionalKey(Schema.String),
  tool: Schema.optionalKey(Schema.String),
  state: Schema.optionalKey(
    Schema.Struct({ status: Schema.optionalKey(Schema.String), output: Schema.optionalKey(Schema.String) })
  )
})
export type MessagePart = typeof MessagePart.Type
export const SessionMessage = Schema.Struct({
  info: Schema.Struct({
    id: Schema.String,
    role: Schema.String,
    error: Schema.optionalKey(
      Schema.Struct({
        name: Schema.optionalKey(Schema.String),
        data: Schema.optionalKey(Schema.Struct({ message: Schema.optionalKey(Schema.String) }))
      })
    )
  }),
  parts: Schema.Array(MessagePart)
})
export type SessionMessage = typeof SessionMessage.Type

/** `GET /global/health`. */
const Health = Schema.Struct({ healthy: Schema.Boolean, version: Schema.optionalKey(Schema.String) })
/** `POST /session`: the new session (only its id matters here). */
const Session = Schema.Struct({ id: Schema.String })
/** `GET /session/status`: session id -> status, busy sessions only. */
const SessionStatuses = Schema.Record(Schema.String, Schema.Unknown)
/** `GET /agent`, `GET /command`: named things. */
const NamedList = Schema.Array(Schema.Struct({ name: Schema.String }))
/** `GET /config/providers`: each provider's models. */
const Providers = Schema.Struct({
  providers: Schema.Array(Schema.Struct({ id: Schema.String, models: Schema.Record(Schema.String, Schema.Unknown) }))
})
const n = Schema.optionalKey(Schema.Number)
/** `GET /session/{id}/message`, as far as tokens and cost go. */
const MessageInfos = Schema.Array(
  Schema.Struct({
    info: Schema.Struct({
      role: Schema.String,
      cost: n,
      tokens: Schema.optionalKey(
        Schema.Struct({
          input: n,
          output: n,
          reasoning: n,
          cache: Schema.optionalKey(Schema.Struct({ read: n, write: n }))
        })
      )
    })
  })
)
/** `provider/model` as the prompt API wants it (the model id may contain slashes). */
const splitModel = (ref: string) => {
  const i = ref.indexOf("/")
  return { providerID: ref.slice(0, i), modelID: ref.slice(i + 1) }
}

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
  const request = (server: ServerRef, method: "GET" | "POST", path: string, body?: unknown) => {
    let req =
      method === "GET"
        ? HttpClientRequest.get(`${server.baseUrl}${path}`)
        : HttpClientRequest.post(`${server.baseUrl}${path}`)
    if (server.password !== undefined) req = HttpClientRequest.basicAuth(req, "opencode", server.password)
    if (body !== undefined) req = HttpClientRequest.bodyJsonUnsafe(req, body)
    return req
  }
  /** One call: its body as text; non-2xx, no answer in time and transport failures are typed. */
  const call = (
    server: ServerRef,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    timeout: Duration.Input = "30 seconds"
  ): Effect.Effect<string, HttpFailed | HttpTimeout | ServerUnreachable> =>
    client.execute(request(server, method, path, body)).pipe(
      Effect.flatMap((res) =>
        Effect.flatMap(res.text, (text) =>
          res.status >= 200 && res.status < 300
            ? Effect.succeed(text)
            : Effect.fail(new HttpFailed({ method, path, status: res.status, body: text.slice(0, 4096) }))
        )
      ),
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(new HttpTimeout({ method, path, after: formatDuration(timeout) }))
      }),
      Effect.catchTag("HttpClientError", (e) =>
        Effect.fail(new ServerUnreachable({ method, url: `${server.baseUrl}${path}`, reason: e.message, cause: e }))
      )
    )
  /** One call whose answer is JSON decoded by `schema`. */
  const callJson = <S extends Schema.Top & { readonly DecodingServices: never }>(
    schema: S,
    server: ServerRef,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    timeout?: Duration.Input
  ): Effect.Effect<S["Type"], RequestError> =>
    call(server, method, path, body, timeout).pipe(
      Effect.flatMap((text) =>
        Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(text).pipe(
          Effect.mapError((e) => new UnexpectedPayload({ method, path, reason: e.message, body: text.slice(0, 1024) }))
        )
      )
    )

  const abort = (server: ServerRef, sessionId: string) =>
    call(server, "POST", `/session/${sessionId}/abort`).pipe(Effect.asVoid)

  /** The server's events, parsed, from the moment of subscription. */
  const events = (server: ServerRef) =>
    Stream.unwrap(
      client.execute(request(server, "GET", "/event")).pipe(
        Effect.flatMap((res) =>
          res.status >= 200 && res.status < 300
            ? Effect.succeed(res)
            : Effect.flatMap(
                Effect.orElseSucceed(res.text, () => ""),
                (body) =>
                  Effect.fail(
                    new HttpFailed({ method: "GET", path: "/event", status: res.status, body: body.slice(0, 300) })
                  )
              )
        ),
        Effect.map((res) =>
          res.stream.pipe(
            Stream.decodeText(),
            Stream.pipeThroughChannel(Sse.decode()),
            Stream.map((e) => decodeEvent(e.data)),
            Stream.filter(Option.isSome),
            Stream.map(({ value }) => value)
          )
        ),
        Effect.catchTag("HttpClientError", (e) =>
          Effect.fail(new ServerLost({ reason: `event stream: ${e.message}`, cause: e }))
        )
      )
    ).pipe(
      Stream.mapError((e) =>
        e._tag === "HttpFailed" || e._tag === "ServerLost"
          ? e
          : new ServerLost({ reason: `event stream: ${e instanceof Error ? e.message : String(e)}`, cause: e })
      )
    )

  const send = Effect.fn("OpenCode.send")(function* (
    server: ServerRef,
    sessionId: string,
    message: AgentMessage,
    options: PromptOptions
  ) {
    const idleText = formatDuration(options.idleTimeout)
    const wallText = formatDuration(options.wallTimeout)
    let state = initialState
    // completes when the subscription is live, or fails with the stream's own error (a 401, a refused connection)
    const connected = yield* Deferred.make<void, PromptError>()

    const follow = events(server).pipe(
      Stream.tap((e) => (e.type === "server.connected" ? Deferred.succeed(connected, undefined) : Effect.void)),
      Stream.filter((e) => sessionOf(e) === sessionId),
      Stream.tap((e) => (options.onEvent ? options.onEvent(e) : Effect.void)),
      // the idle timeout: a gap this long between two events of our session
      Stream.timeoutOrElse({
        duration: options.idleTimeout,
        orElse: () => Stream.fail(new AgentTimeout({ kind: "idle", after: idleText }))
      }),
      Stream.mapEffect((e): Effect.Effect<boolean, PromptError> => {
        const [next, action] = step(state, e, options.askPolicy)
        state = next
        switch (action._tag) {
          case "Continue":
            return Effect.succeed(false)
          case "Done":
            return Effect.succeed(true)
          case "Failed":
            return Effect.fail(
              new AgentFailed({
                reason: action.reason,
                ...(action.statusCode > 0 ? { statusCode: action.statusCode } : {})
              })
            )
          case "ReplyPermission":
            return call(server, "POST", `/permission/${action.requestId}/reply`, { reply: action.reply }).pipe(
              Effect.as(false)
            )
          case "RejectQuestion":
            return call(server, "POST", `/question/${action.requestId}/reject`).pipe(Effect.as(false))
          case "Blocked":
            return Effect.fail(new AgentBlocked({ kind: action.kind, what: action.what, requestId: action.requestId }))
        }
      }),
      Stream.takeUntil((done) => done),
      Stream.runLast,
      // the stream can only end on its own when the server goes away
      Effect.flatMap((last) =>
        Option.getOrElse(last, () => false)
          ? Effect.void
          : Effect.fail(
              new ServerLost({ reason: "the OpenCode server closed its event stream before the session finished" })
            )
      ),
      Effect.tapError((e) => Deferred.fail(connected, e))
    )
    yield* Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(follow)
      // subscribe first, then prompt: no event of the run can be missed
      yield* Deferred.await(connected).pipe(
        Effect.timeoutOrElse({
          duration: "10 seconds",
          orElse: () => Effect.fail(new HttpTimeout({ method: "GET", path: "/event", after: "10s" }))
        })
      )
      const choice = {
        ...(message.agent !== undefined ? { agent: message.agent } : {}),
        ...(message.variant !== undefined ? { variant: message.variant } : {})
      }
      if (message.command === undefined) {
        const model = message.model === undefined ? undefined : splitModel(message.model)
        yield* call(server, "POST", `/session/${sessionId}/prompt_async`, {
          parts: [{ type: "text", text: message.text }],
          ...choice,
          ...(model !== undefined ? { model } : {})
        })
        yield* Fiber.join(fiber)
      } else {
        // the command call answers when the agent is done; the events decide, its failure (unknown command) ends it
        const command = call(
          server,
          "POST",
          `/session/${sessionId}/command`,
          {
            command: message.command,
            arguments: message.text,
            ...choice,
            ...(message.model !== undefined ? { model: message.model } : {})
          },
          options.wallTimeout
        )
        yield* Effect.raceFirst(Fiber.join(fiber), Effect.andThen(command, Effect.never))
      }
    }).pipe(
      Effect.timeoutOrElse({
        duration: options.wallTimeout,
        orElse: () => Effect.fail(new AgentTimeout({ kind: "wall", after: wallText }))
      }),
      // a session that is still working is aborted; one that failed or lost its server needs nothing
      Effect.tapError((e) =>
        e._tag === "AgentFailed" || e._tag === "ServerLost" || e._tag === "ServerUnreachable"
          ? Effect.void
          : abort(server, sessionId).pipe(Effect.ignore)
      ),
      Effect.scoped
    )
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
      const messages = yield* callJson(MessageInfos, server, "GET", `/session/${sessionId}/message`)
      return messages
        .filter((m) => m.info.role === "assistant")
        .reduce<Usage>(
          (u, { info }) => ({
            turns: u.turns + 1,
            input: u.input + (info.tokens?.input ?? 0),
            output: u.output + (info.tokens?.output ?? 0),
            reasoning: u.reasoning + (info.tokens?.reasoning ?? 0),
            cache_read: u.cache_read + (info.tokens?.cache?.read ?? 0),
            cache_write: u.cache_write + (info.tokens?.cache?.write ?? 0),
            cost: u.cost + (info.cost ?? 0)
          }),
          { turns: 0, input: 0, output: 0, reasoning: 0, cache_read: 0, cache_write: 0, cost: 0 }
        )
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
      return yield* abort(server, sessionId)
    }),
    busySessions: Effect.fn("OpenCode.busySessions")(function* (server: ServerRef) {
      return Object.keys(yield* callJson(SessionStatuses, server, "GET", "/session/status"))
    })
  })
}

const formatDuration = (d: Duration.Input) => Duration.format(Duration.fromInputUnsafe(d))
