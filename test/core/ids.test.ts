import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { normalizeId, validateTaskId } from "../../src/core/ids.js"
import { compactTimestamp, containerName } from "../../src/core/naming.js"

const reason = (id: string) => {
  const r = validateTaskId(id)
  return Result.isFailure(r) ? r.failure.reason : undefined
}

describe("task ids", () => {
  it("accepts external identifiers", () => {
    for (const id of ["T-001", "a", "fix_login.v2", "A".repeat(64), "x..y"]) assert.isUndefined(reason(id), id)
  })
  it("rejects unsafe ids with a reason", () => {
    assert.include(reason("a/b"), "path separator")
    assert.include(reason("a\\b"), "path separator")
    assert.include(reason(".."), "starts with a dot")
    assert.include(reason("../x"), "path separator")
    assert.include(reason(".hidden"), "starts with a dot")
    assert.include(reason("A".repeat(65)), "65 characters")
    assert.include(reason(""), "empty")
    assert.include(reason("a b"), '" "')
    assert.include(reason("é"), "not allowed")
  })
  it("normalizes file stems", () => {
    assert.strictEqual(normalizeId("Fix Login Bug"), "fix-login-bug")
    assert.strictEqual(normalizeId("  --T 001!!"), "t-001")
    assert.strictEqual(normalizeId("T_001.v2"), "t_001.v2")
    assert.strictEqual(normalizeId("...hidden"), "hidden")
    assert.strictEqual(normalizeId("!!!"), "")
  })
  it("names containers task-<id>-<created-at-compact>", () => {
    assert.strictEqual(compactTimestamp("2026-11-25T16:11:01.123Z"), "20261125T161101Z")
    assert.strictEqual(containerName("T-001", "2026-11-25T16:11:01.123Z"), "task-T-001-20261125T161101Z")
  })
})
