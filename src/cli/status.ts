/** `taskq status [--id ID] [--json]`: a table of tasks, or one task in full. */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import type { TaskRecord } from "../core/task.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { jsonFlag, queueDirFlag, readQueueLayer } from "./shared.js"

const columns: ReadonlyArray<readonly [string, (r: TaskRecord) => string]> = [
  ["ID", (r) => r.id],
  ["STATUS", (r) => r.status],
  ["ATTEMPT", (r) => String(r.attempt)],
  ["BRANCH", (r) => r.branch],
  ["UPDATED", (r) => r.updated_at],
  [
    "NOTE",
    (r) =>
      r.error ?? `${r.port !== undefined ? `port ${r.port}` : ""} ${r.host !== undefined ? `on ${r.host}` : ""}`.trim()
  ]
]

/** `s` cut to `width` characters, the cut marked with an ellipsis. */
const cut = (s: string, width: number) => (s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`)

/**
 * A plain-text table, one task a row, columns padded to their widest cell. Given a terminal
 * `width`, the last column (the note) is cut to fit; `status --id` shows it in full. Plain loops:
 * on a 10,000-task queue this runs once, cold, at start-up.
 */
export const renderTable = (records: ReadonlyArray<TaskRecord>, width?: number): string => {
  const count = columns.length
  const last = count - 1
  // every cell in one flat array, header first: no array per row
  const cells: Array<string> = columns.map(([header]) => header)
  for (const r of records) for (const [, cell] of columns) cells.push(cell(r))
  const widths = columns.map(() => 0)
  for (let k = 0; k < cells.length; k++) {
    const i = k % count
    if (i !== last) widths[i] = Math.max(widths[i] ?? 0, (cells[k] ?? "").length)
  }
  const before = widths.slice(0, last).reduce((a, b) => a + b + 2, 0)
  const room = width === undefined ? Infinity : Math.max(12, width - before)
  const lines: Array<string> = []
  for (let k = 0; k < cells.length; k += count) {
    let line = ""
    for (let i = 0; i < last; i++) line += `${(cells[k + i] ?? "").padEnd(widths[i] ?? 0)}  `
    lines.push(`${line}${cut(cells[k + last] ?? "", room)}`.trimEnd())
  }
  return lines.join("\n")
}

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
