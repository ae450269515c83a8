/** What `status --id` adds about a task's current attempt: what it was given, and what it cost. */
import { Effect, FileSystem, Schema } from "effect"
import { Usage } from "../adapters/OpenCode.js"
import { describeTotal, USAGE_FILE } from "./steps.js"
import type { TaskRecord } from "../core/task.js"
import { describeBootstrap, readBootstrap } from "./agentConfig.js"

/** `key: value` lines about the attempt (none when the attempt dir is gone). Names only, never contents. */
export const attemptLines = Effect.fnUntraced(function* (r: TaskRecord) {
  if (r.opencode_attempt_dir === undefined) return []
  const lines: Array<string> = []
  const boot = yield* readBootstrap(r.opencode_attempt_dir)
  if (boot !== undefined) lines.push(`bootstrapped: ${describeBootstrap(boot)}`)
  const fs = yield* FileSystem.FileSystem
  const usage = yield* fs
    .readFileString(`${r.opencode_attempt_dir}/${USAGE_FILE}`)
    .pipe(Effect.flatMap(Schema.decodeUnknownEffect(Schema.fromJsonString(Usage))), Effect.option)
  if (usage._tag === "Some") lines.push(`usage (attempt ${r.attempt}): ${describeTotal(usage.value)}`)
  return lines
})
