/**
 * What the OpenCode server's HTTP API (v1) answers, as Schemas: the payloads taskq decodes, and
 * the shapes it hands on (a session's messages, its usage, the server's catalog).
 */
import { Schema } from "effect"

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
export const Health = Schema.Struct({ healthy: Schema.Boolean, version: Schema.optionalKey(Schema.String) })
/** `POST /session`: the new session (only its id matters here). */
export const Session = Schema.Struct({ id: Schema.String })
/** `GET /session/status`: session id -> status, busy sessions only. */
export const SessionStatuses = Schema.Record(Schema.String, Schema.Unknown)
/** `GET /agent`, `GET /command`: named things. */
export const NamedList = Schema.Array(Schema.Struct({ name: Schema.String }))
/** `GET /config/providers`: each provider's models. */
export const Providers = Schema.Struct({
  providers: Schema.Array(Schema.Struct({ id: Schema.String, models: Schema.Record(Schema.String, Schema.Unknown) }))
})
const n = Schema.optionalKey(Schema.Number)
/** `GET /session/{id}/message`, as far as tokens and cost go. */
export const MessageInfos = Schema.Array(
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

/** Tokens and cost summed over a session's assistant messages. */
export const usageOf = (messages: typeof MessageInfos.Type): Usage =>
  messages
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
