import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import type { TaskRecord, TaskStatus } from "../../src/core/task.js"
import { TaskId, taskStatuses } from "../../src/core/task.js"
import { applyMove, type Move, moves, nextStatus } from "../../src/core/transitions.js"

// SPEC §1, written out by hand: every allowed (status, move) pair and where it leads.
const allowed: Record<string, TaskStatus> = {
  "todo/run": "in_progress",
  "todo/cancel": "cancelled",
  "in_progress/ok": "review",
  "in_progress/fail": "failed",
  "review/done": "done",
  "review/reject": "failed",
  "review/cancel": "cancelled",
  "failed/retry": "todo",
  "failed/cancel": "cancelled"
}

const record = (status: TaskStatus): TaskRecord => ({
  id: TaskId.make("T-001"),
  repo: "/r",
  base: "main",
  branch: "taskq/T-001",
  worktree_path: "/w",
  status,
  attempt: 1,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  task_file: "/q/tasks/T-001.md",
  container: "task-T-001-x",
  port: 4242,
  session_id: "ses_1",
  error: "boom"
})

describe("transition table", () => {
  it("knows exactly the six statuses and seven moves", () => {
    assert.deepStrictEqual([...taskStatuses].sort(), ["cancelled", "done", "failed", "in_progress", "review", "todo"])
    assert.deepStrictEqual([...moves].sort(), ["cancel", "done", "fail", "ok", "reject", "retry", "run"])
  })

  for (const status of taskStatuses) {
    for (const move of moves as ReadonlyArray<Move>) {
      const expected = allowed[`${status}/${move}`]
      it(`${status} --${move}--> ${expected ?? "refused"}`, () => {
        assert.strictEqual(nextStatus(status, move), expected)
        const result = applyMove(record(status), move, "2026-02-02T00:00:00.000Z")
        if (expected === undefined) {
          assert.isTrue(Result.isFailure(result))
          if (Result.isFailure(result)) {
            assert.deepInclude(result.failure, { _tag: "InvalidTransition", id: "T-001", status, move })
            assert.include(result.failure.message, `T-001 is ${status}`)
            assert.include(result.failure.message, move)
          }
        } else {
          assert.isTrue(Result.isSuccess(result))
          if (Result.isSuccess(result)) {
            assert.strictEqual(result.success.status, expected)
            assert.strictEqual(result.success.updated_at, "2026-02-02T00:00:00.000Z")
          }
        }
      })
    }
  }

  it("retry increments the attempt and clears every runtime field; other moves keep them", () => {
    const retried = Result.getOrThrow(applyMove(record("failed"), "retry", "2026-02-02T00:00:00.000Z"))
    assert.strictEqual(retried.attempt, 2)
    for (const k of ["container", "port", "session_id", "error"] as const) assert.notProperty(retried, k)
    const done = Result.getOrThrow(applyMove(record("review"), "done", "2026-02-02T00:00:00.000Z"))
    assert.strictEqual(done.attempt, 1)
    assert.strictEqual(done.container, "task-T-001-x")
  })
})
