/**
 * How one session's OpenCode events decide the outcome of a prompt: a pure fold over events, so
 * the rules (idle after error is a failure, a permission request never hangs) are testable alone.
 */

export interface AgentEvent {
  readonly type: string
  readonly properties: Record<string, unknown>
}

/** What to do when the agent asks for permission or asks a question. */
export type AskPolicy = "fail" | "deny" | "allow"

export type Action =
  | { readonly _tag: "Continue" }
  | { readonly _tag: "Done" }
  | { readonly _tag: "Failed"; readonly reason: string; readonly statusCode: number }
  | {
      readonly _tag: "ReplyPermission"
      readonly requestId: string
      readonly reply: "once" | "always" | "reject"
      readonly what: string
    }
  | { readonly _tag: "RejectQuestion"; readonly requestId: string; readonly what: string }
  | {
      readonly _tag: "Blocked"
      readonly requestId: string
      readonly kind: "permission" | "question"
      readonly what: string
    }

export interface AgentState {
  /** The last `session.error` seen: idle after it is a failure, not a success. */
  readonly error: { readonly name: string; readonly message: string; readonly statusCode: number } | undefined
  readonly busySeen: boolean
}
export const initialState: AgentState = { error: undefined, busySeen: false }

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {}

/** The session an event belongs to, if any. */
export const sessionOf = (e: AgentEvent): string | undefined =>
  str(e.properties.sessionID) ?? str(obj(e.properties.info).sessionID) ?? str(obj(e.properties.part).sessionID)

/** Folds one event of our session into the state and says what to do next. */
export const step = (state: AgentState, e: AgentEvent, policy: AskPolicy): readonly [AgentState, Action] => {
  const p = e.properties
  switch (e.type) {
    case "session.status": {
      const type = str(obj(p.status).type)
      if (type === "busy" || type === "retry") return [{ ...state, busySeen: true }, { _tag: "Continue" }]
      if (type === "idle") return finish(state)
      return [state, { _tag: "Continue" }]
    }
    case "session.idle":
      return finish(state)
    case "session.error": {
      const error = obj(p.error)
      const data = obj(error.data)
      const name = str(error.name) ?? "UnknownError"
      const message = str(data.message) ?? str(error.message) ?? name
      const statusCode = typeof data.statusCode === "number" ? data.statusCode : 0
      return [{ ...state, error: { name, message, statusCode } }, { _tag: "Continue" }]
    }
    case "permission.asked":
    case "permission.v2.asked": {
      const requestId = str(p.id) ?? ""
      const patterns = JSON.stringify(p.patterns ?? p.resources ?? [])
      const what = `permission ${str(p.permission) ?? str(p.action) ?? "?"} for ${patterns}`
      if (policy === "fail") return [state, { _tag: "Blocked", requestId, kind: "permission", what }]
      return [state, { _tag: "ReplyPermission", requestId, reply: policy === "allow" ? "always" : "reject", what }]
    }
    case "question.asked":
    case "question.v2.asked": {
      const requestId = str(p.id) ?? ""
      const questions = Array.isArray(p.questions) ? p.questions.map((q) => str(obj(q).question) ?? "?") : []
      const what = `question ${JSON.stringify(questions)}`
      if (policy === "fail") return [state, { _tag: "Blocked", requestId, kind: "question", what }]
      // a headless run has nobody to answer: the question is refused, the agent goes on without it
      return [state, { _tag: "RejectQuestion", requestId, what }]
    }
    default:
      return [state, { _tag: "Continue" }]
  }
}

/** Idle ends the prompt only once the session was seen busy: an idle from before the prompt means nothing. */
const finish = (state: AgentState): readonly [AgentState, Action] =>
  !state.busySeen && !state.error
    ? [state, { _tag: "Continue" }]
    : state.error
      ? [
          state,
          { _tag: "Failed", reason: `${state.error.name}: ${state.error.message}`, statusCode: state.error.statusCode }
        ]
      : [state, { _tag: "Done" }]
