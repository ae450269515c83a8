/**
 * One step of a session: subscribe to the server's events, send the prompt (or the command), then
 * follow the session's events until it is idle, answering permissions and questions by the ask
 * policy. `session.error`, a blocked request, the idle and the wall-clock timeouts are failures; on
 * a timeout or a block the session is aborted first.
 */
import { Deferred, Duration, Effect, Fiber, Option, Stream } from "effect"
import { AgentBlocked, AgentFailed, AgentTimeout, HttpTimeout, type PromptError, ServerLost } from "./openCodeErrors.js"
import { type AgentEvent, type AskPolicy, initialState, sessionOf, step } from "./agentEvents.js"
import { formatDuration, type OpenCodeHttp, type ServerRef } from "./openCodeHttp.js"

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

/** `provider/model` as the prompt API wants it (the model id may contain slashes). */
const splitModel = (ref: string) => {
  const i = ref.indexOf("/")
  return { providerID: ref.slice(0, i), modelID: ref.slice(i + 1) }
}

/** Aborts the session's current work. */
export const abortSession = (http: OpenCodeHttp, server: ServerRef, sessionId: string) =>
  http.call(server, "POST", `/session/${sessionId}/abort`).pipe(Effect.asVoid)

/** Sends `message` in the session and waits until the agent is done with it (see the module's comment). */
export const sendMessage = Effect.fnUntraced(function* (
  http: OpenCodeHttp,
  server: ServerRef,
  sessionId: string,
  message: AgentMessage,
  options: PromptOptions
) {
  // completes when the subscription is live, or fails with the stream's own error (a 401, a refused connection)
  const connected = yield* Deferred.make<void, PromptError>()
  const follow = followSession(http, server, sessionId, options, connected)
  yield* sendWhileFollowing(http, server, sessionId, message, options, follow, connected).pipe(
    Effect.timeoutOrElse({
      duration: options.wallTimeout,
      orElse: () => Effect.fail(new AgentTimeout({ kind: "wall", after: formatDuration(options.wallTimeout) }))
    }),
    // a session that is still working is aborted; one that failed or lost its server needs nothing
    Effect.tapError((e) =>
      e._tag === "AgentFailed" || e._tag === "ServerLost" || e._tag === "ServerUnreachable"
        ? Effect.void
        : abortSession(http, server, sessionId).pipe(Effect.ignore)
    ),
    Effect.scoped
  )
})

/**
 * The session's events until it is done: each one stepped through the agent's state machine,
 * permissions and questions answered, a gap of `idleTimeout` a failure. Succeeds when the session
 * is idle; `connected` completes once the subscription is live.
 */
const followSession = (
  http: OpenCodeHttp,
  server: ServerRef,
  sessionId: string,
  options: PromptOptions,
  connected: Deferred.Deferred<void, PromptError>
): Effect.Effect<void, PromptError> => {
  const idleText = formatDuration(options.idleTimeout)
  let state = initialState
  return http.events(server).pipe(
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
          return http
            .call(server, "POST", `/permission/${action.requestId}/reply`, { reply: action.reply })
            .pipe(Effect.as(false))
        case "RejectQuestion":
          return http.call(server, "POST", `/question/${action.requestId}/reject`).pipe(Effect.as(false))
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
}

/** Subscribes first, then sends: no event of the run can be missed. Ends when the session is done. */
const sendWhileFollowing = Effect.fnUntraced(function* (
  http: OpenCodeHttp,
  server: ServerRef,
  sessionId: string,
  message: AgentMessage,
  options: PromptOptions,
  follow: Effect.Effect<void, PromptError>,
  connected: Deferred.Deferred<void, PromptError>
) {
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
    yield* http.call(server, "POST", `/session/${sessionId}/prompt_async`, {
      parts: [{ type: "text", text: message.text }],
      ...choice,
      ...(model !== undefined ? { model } : {})
    })
    yield* Fiber.join(fiber)
  } else {
    // the command call answers when the agent is done; the events decide, its failure (unknown command) ends it
    const command = http.call(
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
})
