/** `taskq status [--id ID] [--json]`: a table of tasks, or one task in full. */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import type { TaskRecord } from "../core/task.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { jsonFlag, queueDirFlag, readQueueLayer } from "./shared.js"
import { renderTable } from "./statusTable.js"

/** Every field of one record, one `key: value` per line. */
export const renderRecord = (r: TaskRecord): string =>
  Object.entries(r)
    // steps are a list of objects: as JSON, not "[object Object]"
    .map(([k, v]) => `${k}: ${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join("\n")

export const status = Command.make(
  "status",
  {
    id: Flag.String("id").pipe(Flag.withDescription("Show one task in full"), Flag.optional),
    json: jsonFlag,
    runners: Flag.Boolean("runners").pipe(
      Flag.withDescription("List the live runners of the shared queue and their leases"),
      Flag.withDefault(false)
    ),
    queueDir: queueDirFlag
  },
  Effect.fn("cli.status")(function* ({ id, json, runners }) {
    // --runners and --id's attempt lines load their own code (PostgreSQL, OpenCode, task files) only
    // when asked: the table of a large queue starts without it
    if (runners) return yield* (yield* Effect.promise(() => import("./runners.js"))).showRunners(json)
    const tasks = yield* TaskRepository
    if (Option.isSome(id)) {
      const r = yield* tasks.get(id.value)
      yield* Console.log(json ? JSON.stringify(r, null, 2) : renderRecord(r))
      if (json) return
      const { attemptLines } = yield* Effect.promise(() => import("../pipeline/attemptInfo.js"))
      for (const line of yield* attemptLines(r)) yield* Console.log(line)
      return
    }
    const records = yield* tasks.list
    if (json) yield* Console.log(JSON.stringify(records, null, 2))
    else if (records.length === 0) yield* Console.log("no tasks")
    // at a terminal the table fits its width; piped, every note is printed in full
    else yield* Console.log(renderTable(records, process.stdout.isTTY ? process.stdout.columns : undefined))
  })
).pipe(
  Command.withDescription("Show the queue, or one task with --id"),
  Command.provide(({ queueDir }) => readQueueLayer(queueDir))
)
