/** `taskq run --follow`: each task's agent at work on stderr, every line prefixed by the task id. */
import { Console, Effect } from "effect"
import type { AgentEvent } from "../adapters/agentEvents.js"
import { feed, initialFeed } from "../adapters/agentFeed.js"
import { printable } from "../support/printable.js"

export interface Follower {
  /** Shows what an event of the session says (text lines, tool calls, tokens and cost). */
  readonly onEvent: (e: AgentEvent) => Effect.Effect<void>
  /** Shows a line of taskq's own (step boundaries). */
  readonly note: (line: string) => Effect.Effect<void>
}

/** A follower for one task; paths under `dir` (the worktree) are shown relative to it. */
export const agentFollower = (taskId: string, dir: string): Follower => {
  let state = initialFeed
  const show = (line: string) => Console.error(`[${taskId}] ${printable(line)}`)
  return {
    onEvent: (e) =>
      Effect.suspend(() => {
        const [next, lines] = feed(state, e, dir)
        state = next
        return Effect.forEach(lines, show, { discard: true })
      }),
    note: (line) => show(`== ${line}`)
  }
}
