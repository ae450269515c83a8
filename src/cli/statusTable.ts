/**
 * `taskq status`'s table: one task a row, columns padded to their widest cell, the note last. On a
 * 10,000-task queue this runs once, cold, at start-up, so it is plain field reads and string
 * concatenation (half the time of a table of cell functions, bench/startup.sh).
 */
import type { TaskRecord } from "../core/task.js"

/** The NOTE column: the error, else where the task's server is. */
export const noteOf = (r: TaskRecord): string =>
  r.error ?? `${r.port !== undefined ? `port ${r.port}` : ""} ${r.host !== undefined ? `on ${r.host}` : ""}`.trim()

/** `s` cut to `width` characters, the cut marked with an ellipsis. */
const cut = (s: string, width: number) => (s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`)

/**
 * The table of `records`. Given a terminal `width`, the note is cut to fit (`status --id` shows it in
 * full); no line ends in spaces.
 */
export const renderTable = (records: ReadonlyArray<TaskRecord>, width?: number): string => {
  const attempts = records.map((r) => String(r.attempt))
  const notes = records.map(noteOf)
  // ID, STATUS, ATTEMPT, BRANCH, UPDATED: at least as wide as their headers
  let [id, status, attempt, branch, updated] = [2, 6, 7, 6, 7]
  records.forEach((r, i) => {
    id = Math.max(id, r.id.length)
    status = Math.max(status, r.status.length)
    attempt = Math.max(attempt, attempts[i]?.length ?? 0)
    branch = Math.max(branch, r.branch.length)
    updated = Math.max(updated, r.updated_at.length)
  })
  const room = width === undefined ? Infinity : Math.max(12, width - (id + status + attempt + branch + updated + 10))
  const spaces = " ".repeat(Math.max(id, status, attempt, branch, updated) + 2)
  /** `s` and the spaces that fill its column, with the two between columns. */
  const cell = (s: string, w: number) => s + spaces.slice(0, w - s.length + 2)
  const line = (cells: readonly [string, string, string, string, string], note: string) => {
    const head = cell(cells[0], id) + cell(cells[1], status) + cell(cells[2], attempt) + cell(cells[3], branch)
    if (note === "") return head + cells[4].trimEnd()
    const full = head + cell(cells[4], updated) + cut(note, room)
    return /\s$/.test(full) ? full.trimEnd() : full
  }
  const lines = [line(["ID", "STATUS", "ATTEMPT", "BRANCH", "UPDATED"], "NOTE")]
  records.forEach((r, i) =>
    lines.push(line([r.id, r.status, attempts[i] ?? "", r.branch, r.updated_at], notes[i] ?? ""))
  )
  return lines.join("\n")
}
