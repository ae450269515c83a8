/**
 * The HTTP client of one OpenCode server, through Effect's HttpClient: one call (its body, or its
 * JSON decoded by a Schema) and the server's event stream. Non-2xx answers, no answer in time,
 * transport failures and undecodable payloads are typed errors.
 */
import { Duration, Effect, Option, Schema, Stream } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Sse } from "effect/encoding"
import {
  HttpFailed,
  HttpTimeout,
  type RequestError,
  ServerLost,
  ServerUnreachable,
  UnexpectedPayload
} from "./openCodeErrors.js"
import type { AgentEvent } from "./agentEvents.js"
import { decodeEvent } from "./openCodeEvents.js"

export interface ServerRef {
  readonly baseUrl: string
  /** `OPENCODE_SERVER_PASSWORD` of the server, if it has one (Basic auth, user `opencode`). */
  readonly password?: string
}

type Method = "GET" | "POST"

export interface OpenCodeHttp {
  /** One call: its body as text; non-2xx, no answer in time and transport failures are typed. */
  readonly call: (
    server: ServerRef,
    method: Method,
    path: string,
    body?: unknown,
    timeout?: Duration.Input
  ) => Effect.Effect<string, HttpFailed | HttpTimeout | ServerUnreachable>
  /** One call whose answer is JSON decoded by `schema`. */
  readonly callJson: <S extends Schema.Top & { readonly DecodingServices: never }>(
    schema: S,
    server: ServerRef,
    method: Method,
    path: string,
    body?: unknown,
    timeout?: Duration.Input
  ) => Effect.Effect<S["Type"], RequestError>
  /** The server's events, parsed, from the moment of subscription. */
  readonly events: (server: ServerRef) => Stream.Stream<AgentEvent, HttpFailed | ServerLost>
}

export const makeOpenCodeHttp = (client: HttpClient.HttpClient): OpenCodeHttp => {
  const request = (server: ServerRef, method: Method, path: string, body?: unknown) => {
    let req =
      method === "GET"
        ? HttpClientRequest.get(`${server.baseUrl}${path}`)
        : HttpClientRequest.post(`${server.baseUrl}${path}`)
    if (server.password !== undefined) req = HttpClientRequest.basicAuth(req, "opencode", server.password)
    if (body !== undefined) req = HttpClientRequest.bodyJsonUnsafe(req, body)
    return req
  }
  const call: OpenCodeHttp["call"] = (server, method, path, body, timeout = "30 seconds") =>
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
  const callJson: OpenCodeHttp["callJson"] = (schema, server, method, path, body, timeout) =>
    call(server, method, path, body, timeout).pipe(
      Effect.flatMap((text) =>
        Schema.decodeUnknownEffect(Schema.fromJsonString(schema))(text).pipe(
          Effect.mapError((e) => new UnexpectedPayload({ method, path, reason: e.message, body: text.slice(0, 1024) }))
        )
      )
    )
  const events: OpenCodeHttp["events"] = (server) =>
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
  return { call, callJson, events }
}

export const formatDuration = (d: Duration.Input) => Duration.format(Duration.fromInputUnsafe(d))
