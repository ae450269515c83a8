// The Git adapter against real repositories and worktrees in temp dirs.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Git } from "../../src/adapters/Git.js"
import { parseWorktrees } from "../../src/adapters/gitOutput.js"
import { git, makeRepo, tempDir } from "../helpers/fixtures.js"
import { spanNamesOf, untracedMethods } from "../helpers/spans.js"

layer(Git.layer.pipe(Layer.provideMerge(NodeServices.layer)), { excludeTestServices: true })(
  "Git (real repositories)",
  (it) => {
    it.effect("adds a worktree on a new branch from a base, and lists it", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        const wt = join(tempDir(), "wt")
        const base = yield* g.resolveCommit(repo, "main")
        yield* g.addWorktree(repo, wt, "taskq/T-1", "main")
        assert.strictEqual(git(wt, "rev-parse", "--abbrev-ref", "HEAD"), "taskq/T-1")
        assert.strictEqual(git(wt, "rev-parse", "HEAD"), base)
        const listed = (yield* g.listWorktrees(repo)).find((w) => w.path === wt)
        assert.deepStrictEqual(listed, { path: wt, head: base, branch: "taskq/T-1" })
        assert.strictEqual(yield* g.commonDir(wt), join(repo, ".git"))
      })
    )

    it.effect("two worktree adds at once in one repository both succeed", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        const dir = tempDir()
        yield* Effect.all(
          [1, 2, 3].map((i) => g.addWorktree(repo, join(dir, `wt${i}`), `b${i}`, "main")),
          { concurrency: "unbounded" }
        )
        assert.strictEqual((yield* g.listWorktrees(repo)).length, 4)
      })
    )

    it.effect("a branch that exists already is a CommandFailed carrying git's command, exit code and stderr", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        git(repo, "branch", "taken")
        const e = yield* g.addWorktree(repo, join(tempDir(), "wt"), "taken", "main").pipe(Effect.flip)
        assert.strictEqual(e._tag, "CommandFailed")
        if (e._tag === "CommandFailed") {
          assert.strictEqual(e.command, "git")
          assert.includeMembers([...e.args], ["worktree", "add"])
          assert.strictEqual(e.exitCode, 255)
          assert.include(e.stderr, "already exists")
        }
      })
    )

    it.effect("removes a worktree with local changes (forced), idempotently", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        const wt = join(tempDir(), "wt")
        yield* g.addWorktree(repo, wt, "b", "main")
        writeFileSync(join(wt, "dirty.txt"), "x")
        yield* g.removeWorktree(repo, wt)
        assert.isFalse(existsSync(wt))
        assert.strictEqual((yield* g.listWorktrees(repo)).length, 1)
        yield* g.removeWorktree(repo, wt)
      })
    )

    it.effect("deleteBranch refuses commits not on base unless forced; a missing branch is fine", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        const wt = join(tempDir(), "wt")
        yield* g.addWorktree(repo, wt, "work", "main")
        writeFileSync(join(wt, "new.txt"), "x")
        git(wt, "add", ".")
        git(wt, "commit", "-q", "-m", "work")
        yield* g.removeWorktree(repo, wt)
        const e = yield* g.deleteBranch(repo, "work", "main").pipe(Effect.flip)
        assert.deepInclude(e, { _tag: "BranchNotMerged", branch: "work", base: "main", ahead: 1 })
        assert.include(e.message, "branch work has 1 commit not on main")
        assert.strictEqual(git(repo, "branch", "--list", "work"), "work")
        assert.isTrue(yield* g.deleteBranch(repo, "work", "main", { force: true }))
        assert.strictEqual(git(repo, "branch", "--list", "work"), "")
        assert.isFalse(yield* g.deleteBranch(repo, "work", "main"))
        git(repo, "branch", "merged")
        assert.isTrue(yield* g.deleteBranch(repo, "merged", "main"))
      })
    )

    it.effect("repoRoot and currentBase refuse what is not a usable repository", () =>
      Effect.gen(function* () {
        const g = yield* Git
        assert.include((yield* g.repoRoot(tempDir()).pipe(Effect.flip)).message, "is not a git repository")
        const empty = tempDir()
        git(empty, "init", "-q")
        assert.include((yield* g.currentBase(empty).pipe(Effect.flip)).message, "has no commits yet")
      })
    )

    it.effect("each method runs in a span named after it (Git.addWorktree, Git.snapshot, ...)", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        const wt = join(tempDir(), "wt")
        const boxDir = tempDir()
        const names = yield* spanNamesOf(
          Effect.gen(function* () {
            yield* g.repoRoot(repo)
            yield* g.currentBase(repo)
            yield* g.resolveCommit(repo, "main")
            yield* g.isValidBranchName(repo, "taskq/T-1")
            yield* g.commonDir(repo)
            yield* g.owner(repo)
            yield* g.addWorktree(repo, wt, "taskq/T-1", "main")
            yield* g.branchExists(repo, "taskq/T-1")
            yield* g.adminDir(repo, wt)
            yield* g.prepareBox(repo, wt, "taskq/T-1", boxDir)
            yield* g.importBox(repo, wt, "taskq/T-1", boxDir)
            writeFileSync(join(wt, "new.txt"), "x\n")
            yield* g.snapshot(repo, wt, "keep it")
            yield* g.listWorktrees(repo)
            yield* g.removeWorktree(repo, wt)
            yield* g.deleteBranch(repo, "taskq/T-1", "main", { force: true })
          })
        )
        assert.deepStrictEqual(untracedMethods("Git", Object.keys(g), names), [])
      })
    )
  }
)

describe("parseWorktrees", () => {
  layer(Layer.empty)((it) => {
    it.effect("reads porcelain output, detached heads included", () =>
      Effect.sync(() => {
        const text = "worktree /r\nHEAD abc\nbranch refs/heads/main\n\nworktree /w\nHEAD def\ndetached\n"
        assert.deepStrictEqual(parseWorktrees(text), [
          { path: "/r", head: "abc", branch: "main" },
          { path: "/w", head: "def", branch: undefined }
        ])
      })
    )
  })
})
