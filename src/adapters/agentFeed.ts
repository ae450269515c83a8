/**
 * What `taskq run --follow` shows of the agent's work, from the session's OpenCode events: its text
 * as whole lines while it streams, each tool call when it ends (`edit src/x.ts`, `bash: npm test -> exit 0`),
 * and tokens and cost as each model turn completes. A pure fold, so it is testable without a server.
 */
import type { AgentEvent } from "./agentEvents.js"

export interface FeedState {
  /** Text seen per part id, and how much of it was printed. */
  readonly text: Readonly<Record<string, { readonly seen: string; readonly printed: number }>>
  /** Tool calls and model turns already reported. */
  readonly done: ReadonlySet<string>
  /** The user's messages (the prompts taskq sent): their text is not the agent's. */
  readonly users: ReadonlySet<string>
}
export const initialFeed: FeedState = { text: {}, done: new Set(), users: new Set() }

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {}
const oneLine = (s: string, max = 100) => {
  const line = s.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

/** `edit src/x.ts`, `bash: npm test -> exit 0`: one tool call, finished, relative to `dir`. */
export const describeTool = (part: Record<string, unknown>, dir?: string): string => {
  const tool = str(part.tool) ?? "tool"
  const state = obj(part.state)
  const input = obj(state.input)
  const metadata = obj(state.metadata)
  const rel = (p: string) => (dir !== undefined && p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : p)
  const failed = str(state.status) === "error"
  const error = failed ? ` -> error: ${oneLine(str(state.error) ?? "failed", 80)}` : ""
  if (tool === "bash") {
    const exit = num(metadata.exit) ?? num(metadata.exitCode)
    return `bash: ${oneLine(str(input.command) ?? "?")}${error || (exit !== undefined ? ` -> exit ${exit}` : "")}`
  }
  const file = str(input.filePath) ?? str(input.path)
  if (file !== undefined) return `${tool} ${rel(file)}${error}`
  const pattern = str(input.pattern)
  if (pattern !== undefined) return `${tool} ${oneLine(pattern, 60)}${error}`
  const title = str(state.title) ?? str(input.description)
  return `${tool}${title ? ` ${oneLine(title, 80)}` : ""}${error}`
}

/** `tokens in 10, out 5 (cache read 0, write 0), cost $0.0000`, of one completed model turn. */
export const describeUsage = (info: Record<string, unknown>): string | undefined => {
  const tokens = obj(info.tokens)
  const cache = obj(tokens.cache)
  const input = num(tokens.input)
  const output = num(tokens.output)
  if (input === undefined && output === undefined) return undefined
  const reasoning = num(tokens.reasoning) ?? 0
  const model = str(info.modelID)
  return (
    `tokens in ${input ?? 0}, out ${output ?? 0}` +
    (reasoning > 0 ? `, reasoning ${reasoning}` : "") +
    ` (cache read ${num(cache.read) ?? 0}, write ${num(cache.write) ?? 0}), cost $${(num(info.cost) ?? 0).toFixed(4)}` +
    (model ? ` [${str(info.providerID) ?? "?"}/${model}]` : "")
  )
}

const printable = (seen: string, printed: number, final: boolean): readonly [ReadonlyArray<string>, number] => {
  const rest = seen.slice(printed)
  const cut = final ? rest.length : rest.lastIndexOf("\n") + 1
  if (cut <= 0) return [[], printed]
  const lines = rest
    .slice(0, cut)
    .split("\n")
    .map((l) => l.trimEnd())
  if (!final || lines[lines.length - 1] === "") lines.pop()
  return [lines.filter((l, i) => l !== "" || i > 0), printed + cut]
}

/** Folds one event of the session into the feed; returns the lines to show. */
export const feed = (state: FeedState, e: AgentEvent, dir?: string): readonly [FeedState, ReadonlyArray<string>] => {
  const p = e.properties
  const withText = (partId: string, seen: string, final: boolean) => {
    const current = state.text[partId] ?? { seen: "", printed: 0 }
    const text = seen.length >= current.seen.length ? seen : current.seen
    const [lines, printed] = printable(text, current.printed, final)
    return [{ ...state, text: { ...state.text, [partId]: { seen: text, printed } } }, lines] as const
  }
  switch (e.type) {
    case "message.part.delta": {
      if (state.users.has(str(p.messageID) ?? "")) return [state, []]
      const partId = str(p.partID)
      const delta = str(p.delta)
      if (partId === undefined || delta === undefined || (str(p.field) ?? "text") !== "text") return [state, []]
      return withText(partId, (state.text[partId]?.seen ?? "") + delta, false)
    }
    case "message.part.updated": {
      const part = obj(p.part)
      const id = str(part.id)
      if (id === undefined) return [state, []]
      if (str(part.type) === "text") {
        if (part.synthetic === true || state.users.has(str(part.messageID) ?? "")) return [state, []]
        return withText(id, str(part.text) ?? "", num(obj(part.time).end) !== undefined)
      }
      if (str(part.type) === "tool") {
        const status = str(obj(part.state).status)
        const key = `tool:${str(part.callID) ?? id}`
        if ((status !== "completed" && status !== "error") || state.done.has(key)) return [state, []]
        return [{ ...state, done: new Set([...state.done, key]) }, [describeTool(part, dir)]]
      }
      return [state, []]
    }
    case "message.updated": {
      const info = obj(p.info)
      const id = str(info.id)
      const key = `turn:${id ?? "?"}`
      if (str(info.role) === "user" && id !== undefined && !state.users.has(id))
        return [{ ...state, users: new Set([...state.users, id]) }, []]
      if (str(info.role) !== "assistant" || num(obj(info.time).completed) === undefined || state.done.has(key))
        return [state, []]
      const usage = describeUsage(info)
      return [{ ...state, done: new Set([...state.done, key]) }, usage ? [usage] : []]
    }
    default:
      return [state, []]
  }
}
