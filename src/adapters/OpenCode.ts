/**
 * The OpenCode server's HTTP API (v1) through Effect's HttpClient: readiness, sessions, prompts,
 * the event stream and aborts. Effect's client rather than @opencode-ai/sdk: failures stay typed and
 * interruptible (the SDK returns `{ error: {} }` and swallows timeouts), and it adds no dependency.
 */
import { Context, Deferred, Duration, Effect, Fiber, Layer, Option, Schedule, Schema, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { Sse } from "effect/encoding"
import { StageError } from "../core/errors.js"
import { type AgentEvent, type AskPolicy, initialState, sessionOf, step } from "./agentEvents.js"

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

/** The agents, commands and models a server knows (models: undefined when it would not list them). */
export interface Catalog {
  readonly agents: ReadonlyArray<string>
  readonly commands: ReadonlyArray<string>
  readonly models: ReadonlyArray<string> | undefined
}

export interface MessagePart {
  readonly type: string
  readonly text?: string
  readonly tool?: string
  readonly state?: { readonly status?: string; readonly output?: string }
}
export interface SessionMessage {
  readonly info: {
    readonly id: string
    readonly role: string
    readonly error?: { readonly name?: string; readonly data?: { readonly message?: string } }
  }
  readonly parts: ReadonlyArray<MessagePart>
}

export class OpenCode extends Context.Service<
  OpenCode,
  {
    /** Polls `/global/health` (each probe at most 1 s: the first can hang) until it answers; returns the version. */
    readonly waitReady: (server: ServerRef, timeout: Duration.Input) => Effect.Effect<string, StageError>
    readonly createSession: (server: ServerRef, title: string) => Effect.Effect<string, StageError>
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
    ) => Effect.Effect<void, StageError>
    /** Like `prompt`, for one step: a prompt or a command, with its agent, model and variant. */
    readonly send: (
      server: ServerRef,
      sessionId: string,
      message: AgentMessage,
      options: PromptOptions
    ) => Effect.Effect<void, StageError>
    readonly catalog: (server: ServerRef) => Effect.Effect<Catalog, StageError>
    readonly messages: (
      server: ServerRef,
      sessionId: string
    ) => Effect.Effect<ReadonlyArray<SessionMessage>, StageError>
    readonly abort: (server: ServerRef, sessionId: string) => Effect.Effect<void, StageError>
    /** Session ids currently busy or retrying (idle sessions are absent). */
    readonly busySessions: (server: ServerRef) => Effect.Effect<ReadonlyArray<string>, StageError>
  }
>()("taskq/adapters/OpenCode") {
  static readonly layer = Layer.effect(
    OpenCode,
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      return makeOpenCode(client)
    })
  ).pipe(Layer.provide(FetchHttpClient.layer))
  static readonly layerTest = (overrides: Partial<OpenCode["Service"]> = {}) => openCodeTestLayer(overrides)
}

const EventJson = Schema.fromJsonString(
  Schema.Struct({ type: Schema.String, properties: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)) })
)
const decodeEvent = Schema.decodeUnknownOption(EventJson)
const NamedList = Schema.fromJsonString(Schema.Array(Schema.Struct({ name: Schema.String })))
const Providers = Schema.fromJsonString(
  Schema.Struct({
    providers: Schema.Array(Schema.Struct({ id: Schema.String, models: Schema.Record(Schema.String, Schema.Unknown) }))
  })
)
/** `provider/model` as the prompt API wants it (the model id may contain slashes). */
const splitModel = (ref: string) => {
  const i = ref.indexOf("/")
  return { providerID: ref.slice(0, i), modelID: ref.slice(i + 1) }
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
  /** One call: non-2xx and transport failures become StageError of `stage`. */
  const call = (
    stage: string,
    server: ServerRef,
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    timeout: Duration.Input = "30 seconds"
  ) =>
    client.execute(request(server, method, path, body)).pipe(
      Effect.flatMap((res) =>
        Effect.flatMap(res.text, (text) =>
          res.status >= 200 && res.status < 300
            ? Effect.succeed(text)
            : Effect.fail(
                new StageError({
                  stage,
                  exitCode: res.status,
                  stdout: "",
                  stderr: `${method} ${path} -> HTTP ${res.status}: ${text.slice(0, 500)}`
                })
              )
        )
      ),
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(
            new StageError({
              stage,
              exitCode: 124,
              stdout: "",
              stderr: `${method} ${path}: no answer within ${Duration.format(Duration.fromInputUnsafe(timeout))}`
            })
          )
      }),
      Effect.catchTag("HttpClientError", (e) =>
        Effect.fail(
          new StageError({
            stage,
            exitCode: -1,
            stdout: "",
            stderr: `${method} ${server.baseUrl}${path}: ${e.message}`
          })
        )
      )
    )
  const json = <A>(text: string) => Effect.sync(() => (text ? JSON.parse(text) : undefined) as A)

  const abort = (server: ServerRef, sessionId: string) =>
    call("abort", server, "POST", `/session/${sessionId}/abort`).pipe(Effect.asVoid)

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
                    new StageError({
                      stage: "agent",
                      exitCode: res.status,
                      stdout: "",
                      stderr: `GET /event -> HTTP ${res.status}: ${body.slice(0, 300)}`
                    })
                  )
              )
        ),
        Effect.map((res) =>
          res.stream.pipe(
            Stream.decodeText(),
            Stream.pipeThroughChannel(Sse.decode()),
            Stream.map((e) => decodeEvent(e.data)),
            Stream.filter(Option.isSome),
            Stream.map(({ value }): AgentEvent => ({ type: value.type, properties: value.properties ?? {} }))
          )
        ),
        Effect.catchTag("HttpClientError", (e) =>
          Effect.fail(
            new StageError({ stage: "agent", exitCode: -1, stdout: "", stderr: `event stream: ${e.message}` })
          )
        )
      )
    ).pipe(
      Stream.mapError((e) =>
        e._tag === "StageError"
          ? e
          : new StageError({ stage: "agent", exitCode: -1, stdout: "", stderr: `event stream: ${String(e)}` })
      )
    )

  const send = Effect.fn("OpenCode.send")(function* (
    server: ServerRef,
    sessionId: string,
    message: AgentMessage,
    options: PromptOptions
  ) {
    const fail = (stage: string, exitCode: number, stderr: string) =>
      new StageError({ stage, exitCode, stdout: "", stderr })
    const idleText = Duration.format(Duration.fromInputUnsafe(options.idleTimeout))
    const wallText = Duration.format(Duration.fromInputUnsafe(options.wallTimeout))
    let state = initialState
    // completes when the subscription is live, or fails with the stream's own error (a 401, a refused connection)
    const connected = yield* Deferred.make<void, StageError>()

    const follow = events(server).pipe(
      Stream.tap((e) => (e.type === "server.connected" ? Deferred.succeed(connected, undefined) : Effect.void)),
      Stream.filter((e) => sessionOf(e) === sessionId),
      // the idle timeout: a gap this long between two events of our session
      Stream.timeoutOrElse({
        duration: options.idleTimeout,
        orElse: () =>
          Stream.fail(
            fail("agent-timeout", 124, `the agent was idle for ${idleText} without finishing; session aborted`)
          )
      }),
      Stream.mapEffect((e) => {
        const [next, action] = step(state, e, options.askPolicy)
        state = next
        switch (action._tag) {
          case "Continue":
            return Effect.succeed(false)
          case "Done":
            return Effect.succeed(true)
          case "Failed":
            return Effect.fail(fail("agent", action.statusCode || 1, action.reason))
          case "ReplyPermission":
            return call("agent", server, "POST", `/permission/${action.requestId}/reply`, { reply: action.reply }).pipe(
              Effect.as(false)
            )
          case "RejectQuestion":
            return call("agent", server, "POST", `/question/${action.requestId}/reject`).pipe(Effect.as(false))
          case "Blocked":
            return Effect.fail(
              fail("agent-blocked", 1, `the agent asked for ${action.what} and the policy is to fail; session aborted`)
            )
        }
      }),
      Stream.takeUntil((done) => done),
      Stream.runLast,
      // the stream can only end on its own when the server goes away
      Effect.flatMap((last) =>
        Option.getOrElse(last, () => false)
          ? Effect.void
          : Effect.fail(fail("agent", -1, "the OpenCode server closed its event stream before the session finished"))
      ),
      Effect.tapError((e) => Deferred.fail(connected, e))
    )
    yield* Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(follow)
      // subscribe first, then prompt: no event of the run can be missed
      yield* Deferred.await(connected).pipe(
        Effect.timeoutOrElse({
          duration: "10 seconds",
          orElse: () => Effect.fail(fail("prompt", 124, "the event stream did not connect within 10 s"))
        })
      )
      const choice = {
        ...(message.agent !== undefined ? { agent: message.agent } : {}),
        ...(message.variant !== undefined ? { variant: message.variant } : {})
      }
      if (message.command === undefined) {
        const model = message.model === undefined ? undefined : splitModel(message.model)
        yield* call("prompt", server, "POST", `/session/${sessionId}/prompt_async`, {
          parts: [{ type: "text", text: message.text }],
          ...choice,
          ...(model !== undefined ? { model } : {})
        })
        yield* Fiber.join(fiber)
      } else {
        // the command call answers when the agent is done; the events decide, its failure (unknown command) ends it
        const command = call(
          "prompt",
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
        orElse: () =>
          Effect.fail(fail("agent-timeout", 124, `the agent did not finish within ${wallText}; session aborted`))
      }),
      Effect.tapError((e) => (e.stage === "agent" ? Effect.void : abort(server, sessionId).pipe(Effect.ignore))),
      Effect.scoped
    )
  })

  return OpenCode.of({
    waitReady: Effect.fn("OpenCode.waitReady")(function* (server: ServerRef, timeout: Duration.Input) {
      const probe = call("server", server, "GET", "/global/health", undefined, "1 second").pipe(
        Effect.flatMap((t) => json<{ healthy?: boolean; version?: string }>(t)),
        Effect.filterOrFail(
          (h) => h?.healthy === true,
          () => new StageError({ stage: "server", exitCode: 1, stdout: "", stderr: "server not healthy yet" })
        )
      )
      let last = "no answer"
      const h = yield* probe.pipe(
        Effect.tapError((e) =>
          Effect.sync(() => {
            last = e.stderr
          })
        ),
        Effect.retry({ schedule: Schedule.spaced("250 millis") }),
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () =>
            Effect.fail(
              new StageError({
                stage: "server",
                exitCode: 124,
                stdout: "",
                stderr: `OpenCode at ${server.baseUrl} was not ready within ${Duration.format(Duration.fromInputUnsafe(timeout))} (last: ${last})`
              })
            )
        })
      )
      // a password the server ignores protects nothing: without it, the server must answer 401
      if (server.password !== undefined) {
        const open = yield* call(
          "server",
          { baseUrl: server.baseUrl },
          "GET",
          "/global/health",
          undefined,
          "5 seconds"
        ).pipe(
          Effect.as(true),
          Effect.catchTag("StageError", (e) => (e.exitCode === 401 ? Effect.succeed(false) : Effect.fail(e)))
        )
        if (open)
          return yield* new StageError({
            stage: "server",
            exitCode: 1,
            stdout: "",
            stderr: `OpenCode at ${server.baseUrl} answers without its password: the worker image does not read TASKQ_ENV_FILE (rebuild it: taskq build-image)`
          })
      }
      return h.version ?? "unknown"
    }),
    createSession: Effect.fn("OpenCode.createSession")(function* (server: ServerRef, title: string) {
      const s = yield* call("session", server, "POST", "/session", { title }).pipe(
        Effect.flatMap((t) => json<{ id?: string }>(t))
      )
      if (typeof s?.id !== "string")
        return yield* new StageError({
          stage: "session",
          exitCode: 1,
          stdout: JSON.stringify(s),
          stderr: "POST /session returned no session id"
        })
      return s.id
    }),
    prompt: (server, sessionId, text, options) => send(server, sessionId, { text }, options),
    send,
    catalog: Effect.fn("OpenCode.catalog")(function* (server: ServerRef) {
      const names = (path: string) =>
        call("catalog", server, "GET", path).pipe(
          Effect.flatMap((t) =>
            Schema.decodeUnknownEffect(NamedList)(t).pipe(
              Effect.mapError(
                (e) =>
                  new StageError({
                    stage: "catalog",
                    exitCode: 1,
                    stdout: t.slice(0, 300),
                    stderr: `GET ${path}: ${e.message}`
                  })
              )
            )
          ),
          Effect.map((xs) => xs.map((x) => x.name))
        )
      const models = yield* call("catalog", server, "GET", "/config/providers", undefined, "10 seconds").pipe(
        Effect.flatMap((t) => Schema.decodeUnknownEffect(Providers)(t)),
        Effect.map((p) => p.providers.flatMap((pr) => Object.keys(pr.models).map((m) => `${pr.id}/${m}`))),
        Effect.orElseSucceed(() => undefined)
      )
      return { agents: yield* names("/agent"), commands: yield* names("/command"), models } satisfies Catalog
    }),
    messages: (server, sessionId) =>
      call("messages", server, "GET", `/session/${sessionId}/message`).pipe(
        Effect.flatMap((t) => json<ReadonlyArray<SessionMessage>>(t))
      ),
    abort,
    busySessions: (server) =>
      call("status", server, "GET", "/session/status").pipe(
        Effect.flatMap((t) => json<Record<string, unknown>>(t)),
        Effect.map((r) => Object.keys(r ?? {}))
      )
  })
}

/**
 * A scripted server for unit tests: ready at once, one session, prompts succeed; override what a test
 * needs. `send` (one step) goes through `prompt` unless overridden, so a test scripting `prompt` sees every step.
 */
export const openCodeTestLayer = (overrides: Partial<OpenCode["Service"]> = {}) => {
  const prompt: OpenCode["Service"]["prompt"] = overrides.prompt ?? (() => Effect.void)
  return Layer.succeed(
    OpenCode,
    OpenCode.of({
      waitReady: () => Effect.succeed("test"),
      createSession: () => Effect.succeed("ses_test"),
      prompt,
      send: (server, sessionId, message, options) => prompt(server, sessionId, message.text, options),
      catalog: () => Effect.succeed({ agents: ["build", "plan"], commands: [], models: undefined }),
      messages: () => Effect.succeed([]),
      abort: () => Effect.void,
      busySessions: () => Effect.succeed([]),
      ...overrides
    })
  )
}
