/** What `status --id` adds about a task's current attempt: what it was given, and what it cost. */
import { Effect } from "effect"
import type { TaskRecord } from "../core/task.js"
import { describeBootstrap, readBootstrap } from "./agentConfig.js"

/** `key: value` lines about the attempt (none when the attempt dir is gone). Names only, never contents. */
export const attemptLines = Effect.fnUntraced(function* (r: TaskRecord) {
  if (r.opencode_attempt_dir === undefined) return []
  const lines: Array<string> = []
  const boot = yield* readBootstrap(r.opencode_attempt_dir)
  if (boot !== undefined) lines.push(`bootstrapped: ${describeBootstrap(boot)}`)
  return lines
})
