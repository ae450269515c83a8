import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cli } from "../helpers/cli.js"
import { git, makeRepo, queueRecords, tempDir } from "../helpers/fixtures.js"

const setup = () => {
  const dir = tempDir()
  return { dir, repo: makeRepo(), queue: join(dir, "queue") }
}

describe("taskq add (in-process)", () => {
  it.live("--task resolves base, branch and worktree into the record", () =>
    Effect.gen(function* () {
      const { repo, queue } = setup()
      const r = yield* cli("add", "--id", "T-001", "--repo", repo, "--task", "Write hello.txt", "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.strictEqual(r.stdout, `added T-001 (repo ${repo}, base main, branch taskq/T-001)`)
      const [t] = queueRecords(queue)
      assert.deepInclude(t, {
        id: "T-001",
        repo,
        base: "main",
        branch: "taskq/T-001",
        worktree_path: join(queue, "worktrees", "T-001"),
        status: "todo",
        attempt: 1,
        task_file: join(queue, "tasks", "T-001.md")
      })
      assert.match(t.created_at, /^\d{4}-\d\d-\d\dT.*Z$/)
      assert.strictEqual(readFileSync(join(queue, "tasks", "T-001.md"), "utf8"), "Write hello.txt\n")
    })
  )

  it.live("a task file's frontmatter sets the fields; flags override it; the file stays byte-identical", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      git(repo, "branch", "dev")
      const file = join(dir, "task.md")
      const text = `---\nid: FM-1\nrepo: ${repo}\nbase: dev\nbranch: feature/x\nworktree_path: wt/fm\n---\n# Do the thing\n\nDetails.\n`
      writeFileSync(file, text)
      const r = yield* cli("add", "--task-file", file, "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.deepInclude(queueRecords(queue)[0], {
        id: "FM-1",
        base: "dev",
        branch: "feature/x",
        worktree_path: join(dir, "wt/fm")
      })
      assert.strictEqual(readFileSync(join(queue, "tasks", "FM-1.md"), "utf8"), "# Do the thing\n\nDetails.\n")
      assert.strictEqual(readFileSync(file, "utf8"), text)
      const o = yield* cli(
        "add",
        "--task-file",
        file,
        "--id",
        "FM-2",
        "--branch",
        "other",
        "--base",
        "main",
        "--worktree-path",
        join(dir, "wt2"),
        "--queue-dir",
        queue
      )
      assert.isTrue(o.ok, o.stderr)
      assert.deepInclude(queueRecords(queue)[1], {
        id: "FM-2",
        base: "main",
        branch: "other",
        worktree_path: join(dir, "wt2")
      })
    })
  )

  it.live("without an id the normalized file stem is the id; a relative frontmatter repo is relative to the file", () =>
    Effect.gen(function* () {
      const { dir, queue } = setup()
      const repo = makeRepo(join(dir, "project"))
      mkdirSync(join(dir, "tasks"))
      const file = join(dir, "tasks", "Fix Login Bug!.md")
      writeFileSync(file, "---\nrepo: ../project\n---\nFix it.\n")
      const r = yield* cli("add", "--task-file", file, "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.deepInclude(queueRecords(queue)[0], { id: "fix-login-bug", repo, branch: "taskq/fix-login-bug" })
    })
  )

  it.live("a detached HEAD gives the commit as base", () =>
    Effect.gen(function* () {
      const { repo, queue } = setup()
      const sha = git(repo, "rev-parse", "HEAD")
      git(repo, "checkout", "-q", "--detach")
      assert.isTrue((yield* cli("add", "--id", "D", "--repo", repo, "--task", "x", "--queue-dir", queue)).ok)
      assert.strictEqual(queueRecords(queue)[0].base, sha)
    })
  )

  const refusals: ReadonlyArray<readonly [string, (s: ReturnType<typeof setup>) => ReadonlyArray<string>, string]> = [
    [
      "unknown frontmatter keys",
      (s) => {
        writeFileSync(join(s.dir, "t.md"), `---\nrepo: ${s.repo}\nmodel: x\n---\nbody\n`)
        return ["--task-file", join(s.dir, "t.md")]
      },
      "unknown frontmatter key model"
    ],
    [
      "an empty body",
      (s) => {
        writeFileSync(join(s.dir, "t.md"), `---\nrepo: ${s.repo}\n---\n\n  \n`)
        return ["--task-file", join(s.dir, "t.md")]
      },
      "the task is empty"
    ],
    ["an empty inline task", (s) => ["--id", "A", "--repo", s.repo, "--task", "  "], "the task is empty"],
    [
      "a task file without repo",
      (s) => {
        writeFileSync(join(s.dir, "t.md"), "do it\n")
        return ["--task-file", join(s.dir, "t.md")]
      },
      "no repo"
    ],
    ["a missing task file", (s) => ["--task-file", join(s.dir, "nope.md")], "nope.md: no such file"],
    ["--task without --repo", () => ["--id", "A", "--task", "x"], "--task needs --repo"],
    ["--task without --id", (s) => ["--repo", s.repo, "--task", "x"], "--task needs --id"],
    [
      "both --task and --task-file",
      (s) => ["--id", "A", "--repo", s.repo, "--task", "x", "--task-file", "y.md"],
      "exactly one of --task"
    ],
    [
      "a repo that does not exist",
      (s) => ["--id", "A", "--repo", join(s.dir, "missing"), "--task", "x"],
      "does not exist"
    ],
    [
      "a repo that is not a git repository",
      (_s) => ["--id", "A", "--repo", tempDir(), "--task", "x"],
      "is not a git repository"
    ],
    [
      "a base that names no commit",
      (s) => ["--id", "A", "--repo", s.repo, "--task", "x", "--base", "nope"],
      "base nope is not a commit"
    ],
    [
      "an invalid branch",
      (s) => ["--id", "A", "--repo", s.repo, "--task", "x", "--branch", "a..b"],
      "not a valid branch name"
    ],
    ["an id with a path separator", (s) => ["--id", "a/b", "--repo", s.repo, "--task", "x"], "path separator"],
    ["the id ..", (s) => ["--id", "..", "--repo", s.repo, "--task", "x"], "starts with a dot"],
    ["a 65-character id", (s) => ["--id", "x".repeat(65), "--repo", s.repo, "--task", "x"], "65 characters"],
    [
      "a frontmatter id with a path separator",
      (s) => {
        writeFileSync(join(s.dir, "t.md"), `---\nid: ../../etc\nrepo: ${s.repo}\n---\nx\n`)
        return ["--task-file", join(s.dir, "t.md")]
      },
      "path separator"
    ]
  ]
  for (const [what, args, message] of refusals) {
    it.live(`refuses ${what} with one line, and queues nothing`, () =>
      Effect.gen(function* () {
        const s = setup()
        const r = yield* cli("add", ...args(s), "--queue-dir", s.queue)
        assert.isFalse(r.ok)
        assert.strictEqual(r.stdout, "")
        assert.strictEqual(r.stderr.split("\n").length, 1, r.stderr)
        assert.match(r.stderr, /^taskq: /)
        assert.include(r.stderr, message)
        assert.deepStrictEqual(queueRecords(s.queue), [])
      })
    )
  }

  it.live("refuses a duplicate id and keeps the first task as it was", () =>
    Effect.gen(function* () {
      const { repo, queue } = setup()
      yield* cli("add", "--id", "T-1", "--repo", repo, "--task", "first", "--queue-dir", queue)
      const before = readFileSync(join(queue, "tasks.jsonl"), "utf8")
      const r = yield* cli("add", "--id", "T-1", "--repo", repo, "--task", "second", "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.strictEqual(r.stderr, "taskq: a task with id T-1 already exists")
      assert.strictEqual(readFileSync(join(queue, "tasks.jsonl"), "utf8"), before)
      assert.strictEqual(readFileSync(join(queue, "tasks", "T-1.md"), "utf8"), "first\n")
    })
  )
})
