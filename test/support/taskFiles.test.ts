import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { parseTaskFile } from "../../src/support/taskFiles.js"

const parse = (text: string) => parseTaskFile("t.md", text)
const failure = (text: string) => {
  const r = parse(text)
  return Result.isFailure(r) ? r.failure.message : undefined
}

describe("task files", () => {
  it("reads every frontmatter key and the body", () => {
    const r = Result.getOrThrow(
      parse("---\nid: T-1\nrepo: ../r\nbase: main\nbranch: b\nworktree_path: /w\n---\nDo it.\n")
    )
    assert.deepStrictEqual(r.frontmatter, { id: "T-1", repo: "../r", base: "main", branch: "b", worktree_path: "/w" })
    assert.strictEqual(r.body.trim(), "Do it.")
  })
  it("a file without frontmatter is all body", () => {
    const r = Result.getOrThrow(parse("# Title\n\nDo it.\n"))
    assert.deepStrictEqual(r.frontmatter, {})
    assert.strictEqual(r.body, "# Title\n\nDo it.\n")
  })
  it("an empty frontmatter block and an empty body parse (emptiness is judged by add)", () => {
    const r = Result.getOrThrow(parse("---\n---\n"))
    assert.deepStrictEqual(r.frontmatter, {})
    assert.strictEqual(r.body.trim(), "")
  })
  it("names unknown keys", () => {
    assert.strictEqual(
      failure("---\nid: a\nprompt: x\nmodel: y\n---\nbody"),
      "t.md: unknown frontmatter keys prompt, model (allowed: id, repo, base, branch, worktree_path, steps)"
    )
  })
  it("refuses non-string values, empty values and broken YAML", () => {
    assert.include(failure("---\nid: 42\n---\nbody"), "frontmatter key id must be a string")
    assert.include(failure("---\nrepo: ''\n---\nbody"), "frontmatter key repo is empty")
    assert.include(failure("---\nid: [a\n---\nbody"), "invalid frontmatter")
    assert.include(failure("---\n- a\n- b\n---\nbody"), "frontmatter must be a mapping")
  })
  it("does not leak results between calls with the same text (gray-matter caches)", () => {
    const text = "---\nid: a\n---\nbody"
    const first = Result.getOrThrow(parse(text))
    const second = Result.getOrThrow(parse(text))
    assert.deepStrictEqual(first.frontmatter, second.frontmatter)
  })
})
