import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { TaskRecord } from "../../src/core/task.js"
import { acceptTaskRecord } from "../../src/core/taskAccept.js"

const decode = Schema.decodeUnknownResult(TaskRecord)

/** A record with every field the Schema knows but steps. */
const full: Record<string, unknown> = {
  id: "T-001",
  repo: "/src/app",
  base: "main",
  branch: "taskq/T-001",
  worktree_path: "/q/worktrees/T-001",
  status: "review",
  attempt: 2,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:01+02:00",
  task_file: "/q/tasks/T-001.md",
  container: "task-T-001-20260101T000000Z",
  port: 4242,
  session_id: "ses_1",
  base_sha: "abc",
  opencode_attempt_dir: "/q/attempts/T-001/attempt-2",
  opencode_config_dir: "/q/attempts/T-001/attempt-2/config",
  opencode_data_dir: "/q/attempts/T-001/attempt-2/data",
  started_at: "2026-01-01T00:00:02Z",
  finished_at: "2026-01-01T00:00:03.5Z",
  error: "stage agent failed",
  runner: "host:1",
  host: "host",
  created_worktree: "/q/worktrees/T-001",
  created_worktree_admin: "/src/app/.git/worktrees/T-001",
  created_branch: "taskq/T-001"
}
const minimal = Object.fromEntries(
  ["id", "repo", "base", "branch", "worktree_path", "status", "attempt", "created_at", "updated_at", "task_file"].map(
    (k) => [k, full[k]]
  )
)

/** Values that some field or other refuses, or that only some accept. */
const oddValues: ReadonlyArray<unknown> = [
  undefined,
  null,
  true,
  0,
  1,
  -1,
  1.5,
  Number.NaN,
  2 ** 53,
  "",
  " ",
  "relative/path",
  "/abs",
  "file:///srv/r.git",
  "ftp://x",
  "..",
  "a/b",
  ".hidden",
  "T 1",
  "x".repeat(65),
  "2026-01-01",
  "2026-01-01T00:00:00",
  "2026-13-45T00:00:00Z",
  "2026-01-01T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999999999Z",
  "2026-01-01T00:00:00.1234567891Z",
  "2024-02-29T12:00:00-23:59",
  "2026-02-29T12:00:00Z",
  "2026-04-31T12:00:00Z",
  "2026-01-01T24:00:00Z",
  "2026-01-01T23:60:00Z",
  "2026-01-01T23:59:60Z",
  "2026-01-01T00:00:00+24:00",
  "2026-01-01T00:00:00+05:60",
  "2026-01-01T00:00:00.Z",
  "2026-01-01T00:00:00.000",
  "2026-01-01T00:00:00.000+0100",
  "2026-01-01T00:00:00.000+01:00Z",
  "2026-01-01T00:00:00+01:00",
  "2026-1-01T00:00:00Z",
  "2026-01-01 00:00:00Z",
  "2026-01-01T00:00:00z",
  "1900-02-29T00:00:00Z",
  "2000-02-29T00:00:00Z",
  "２026-01-01T00:00:00Z",
  "todo",
  "running",
  [],
  {},
  [{}],
  [{ agent: "plan", command: "make-plan" }]
]

/** What the fast path accepted is exactly what the Schema decodes: the same keys in the same order. */
const agrees = (input: unknown) => {
  const fast = acceptTaskRecord(input)
  if (fast === undefined) return "left to the Schema"
  const decoded = decode(input)
  assert.isTrue(Result.isSuccess(decoded), `accepted what the Schema refuses: ${JSON.stringify(input)}`)
  if (Result.isSuccess(decoded)) {
    assert.deepStrictEqual(fast, decoded.success)
    assert.deepStrictEqual(Object.keys(fast), Object.keys(decoded.success))
  }
  return "accepted"
}

describe("acceptTaskRecord", () => {
  it("accepts ordinary records, as the Schema decodes them", () => {
    assert.strictEqual(agrees(full), "accepted")
    assert.strictEqual(agrees(minimal), "accepted")
    // unknown fields are dropped, as the Schema's decode drops them (the store keeps them apart)
    assert.strictEqual(agrees({ future_field: 1, ...full }), "accepted")
    assert.notProperty(acceptTaskRecord({ future_field: 1, ...full }), "future_field")
    // fields in another order come back in the Schema's, as from its decode
    assert.strictEqual(agrees(Object.fromEntries(Object.entries(full).reverse())), "accepted")
  })

  it("never accepts what the Schema refuses or would decode otherwise: every field, every odd value", () => {
    let accepted = 0
    for (const field of Object.keys(TaskRecord.fields)) {
      for (const base of [full, minimal]) {
        const { [field]: _, ...without } = base
        if (agrees(without) === "accepted") accepted++
        for (const v of oddValues) {
          if (agrees({ ...base, [field]: v }) === "accepted") accepted++
          // the same value with the record's other fields after it, or an unknown field beside it
          if (agrees({ [field]: v, ...without }) === "accepted") accepted++
          if (agrees({ ...base, [field]: v, extra: 1 }) === "accepted") accepted++
        }
      }
    }
    // the fast path is really taken for the values each field accepts (strings, ints, timestamps…)
    assert.isAbove(accepted, 100)
  })

  it("refuses what is not a record at all, or not a plain object as JSON.parse makes", () => {
    for (const v of [null, undefined, 1, "x", [], [full]]) assert.isUndefined(acceptTaskRecord(v))
    class Row {}
    const inherited = Object.assign(Object.create({ task_file: full["task_file"] }), { ...full, task_file: undefined })
    delete inherited.task_file
    for (const odd of [Object.assign(Object.create(null), full), Object.assign(new Row(), full), inherited]) {
      assert.isUndefined(acceptTaskRecord(odd))
    }
  })

  it("leaves records with steps to the Schema", () => {
    assert.isUndefined(acceptTaskRecord({ ...full, steps: [{ agent: "plan" }] }))
  })
})
