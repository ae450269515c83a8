import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { TaskRecordFromJson } from "../../src/core/task.js"

const line = {
  id: "T-001",
  repo: "/r",
  base: "main",
  branch: "taskq/T-001",
  worktree_path: "/w",
  status: "review",
  attempt: 2,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:01+00:00",
  task_file: "/q/tasks/T-001.md",
  container: "task-T-001-20260101T000000Z",
  port: 4242,
  session_id: "ses_1"
}

describe("task record schema", () => {
  it("round-trips a JSONL line with snake_case keys", () => {
    const decoded = Schema.decodeUnknownSync(TaskRecordFromJson)(JSON.stringify(line))
    assert.deepStrictEqual(JSON.parse(Schema.encodeSync(TaskRecordFromJson)(decoded)), line)
  })
  it("refuses bad statuses, attempts and naive timestamps", () => {
    const bad = (patch: object) => () =>
      Schema.decodeUnknownSync(TaskRecordFromJson)(JSON.stringify({ ...line, ...patch }))
    assert.throws(bad({ status: "running" }))
    assert.throws(bad({ attempt: 0 }))
    assert.throws(bad({ attempt: 1.5 }))
    assert.throws(bad({ created_at: "2026-01-01T00:00:00" }))
    assert.throws(bad({ port: "4242" }))
    assert.throws(bad({ id: undefined }))
  })
})
