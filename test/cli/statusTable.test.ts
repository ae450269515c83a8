// status's table is hand-unrolled for start-up: it must print exactly what the plain definition does.
import { assert, describe, it } from "@effect/vitest"
import type { TaskRecord } from "../../src/core/task.js"
import { noteOf, renderTable } from "../../src/cli/statusTable.js"
import { sampleRecord } from "../helpers/layers.js"

/** The table by its definition: every cell padded to its column, two spaces between, note cut, trimmed. */
const reference = (records: ReadonlyArray<TaskRecord>, width?: number) => {
  const header = ["ID", "STATUS", "ATTEMPT", "BRANCH", "UPDATED", "NOTE"]
  const rows = [header, ...records.map((r) => [r.id, r.status, String(r.attempt), r.branch, r.updated_at, noteOf(r)])]
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)))
  const before = widths.slice(0, 5).reduce((a, b) => a + b + 2, 0)
  const room = width === undefined ? Infinity : Math.max(12, width - before)
  const cut = (s: string) => (s.length <= room ? s : `${s.slice(0, Math.max(0, room - 1))}…`)
  return rows
    .map((row) =>
      row
        .map((c, i) => (i === 5 ? cut(c) : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

describe("status table", () => {
  it("prints what the plain definition prints, for every kind of note and terminal width", () => {
    const records = [
      sampleRecord("T-1", "/q"),
      sampleRecord("a-much-longer-task-id-0001", "/q", { status: "in_progress", attempt: 12, port: 4242 }),
      sampleRecord("T-3", "/q", { status: "review", port: 32001, host: "build-box-7" }),
      sampleRecord("T-4", "/q", { status: "failed", error: "stage agent failed (exit 1): " + "x".repeat(150) }),
      sampleRecord("T-5", "/q", { status: "failed", error: "ends in spaces   " }),
      sampleRecord("T-6", "/q", { status: "review", host: "elsewhere", branch: "feature/very-long-branch-name-here" }),
      sampleRecord("T-7", "/q", { status: "cancelled", error: "   " })
    ]
    for (const width of [undefined, 20, 60, 80, 120, 400]) {
      assert.strictEqual(renderTable(records, width), reference(records, width), `width ${width}`)
    }
    assert.strictEqual(renderTable([]), reference([]))
  })
})
