/**
 * The OpenCode server's events that taskq reads, as one Schema union (`GET /event`, one JSON
 * object per SSE message). Every other event decodes as `OtherEvent`: only its session matters
 * (activity for the idle timeout).
 */
import { Option, Schema } from "effect"
import type { AgentEvent } from "./agentEvents.js"

const opt = <S extends Schema.Top>(s: S) => Schema.optionalKey(s)

export const ServerConnected = Schema.Struct({ type: Schema.Literal("server.connected") })

export const SessionStatus = Schema.Struct({
  type: Schema.Literal("session.status"),
  properties: Schema.Struct({ sessionID: Schema.String, status: Schema.Struct({ type: Schema.String }) })
})

export const SessionIdle = Schema.Struct({
  type: Schema.Literal("session.idle"),
  properties: Schema.Struct({ sessionID: Schema.String })
})

export const SessionError = Schema.Struct({
  type: Schema.Literal("session.error"),
  properties: Schema.Struct({
    sessionID: opt(Schema.String),
    error: opt(
      Schema.Struct({
        name: opt(Schema.String),
        message: opt(Schema.String),
        data: opt(Schema.Struct({ message: opt(Schema.String), statusCode: opt(Schema.Number) }))
      })
    )
  })
})

export const PermissionAsked = Schema.Struct({
  type: Schema.Literals(["permission.asked", "permission.v2.asked"]),
  properties: Schema.Struct({
    id: Schema.String,
    sessionID: Schema.String,
    permission: opt(Schema.String),
    action: opt(Schema.String),
    patterns: opt(Schema.Unknown),
    resources: opt(Schema.Unknown)
  })
})

export const QuestionAsked = Schema.Struct({
  type: Schema.Literals(["question.asked", "question.v2.asked"]),
  properties: Schema.Struct({
    id: Schema.String,
    sessionID: Schema.String,
    questions: opt(Schema.Array(Schema.Struct({ question: opt(Schema.String) })))
  })
})

/** Any other event: its type, and its properties as they are. */
export const OtherEvent = Schema.Struct({
  type: Schema.String,
  properties: opt(Schema.Record(Schema.String, Schema.Unknown))
})

export const OpenCodeEvent = Schema.Union([
  ServerConnected,
  SessionStatus,
  SessionIdle,
  SessionError,
  PermissionAsked,
  QuestionAsked,
  OtherEvent
])
export type OpenCodeEvent = typeof OpenCodeEvent.Type

const decode = Schema.decodeUnknownOption(Schema.fromJsonString(OpenCodeEvent))

/** One SSE message's data as an event; none when it is not a JSON event at all. */
export const decodeEvent = (data: string): Option.Option<AgentEvent> =>
  Option.map(decode(data), (e) => ({ type: e.type, properties: "properties" in e ? (e.properties ?? {}) : {} }))
