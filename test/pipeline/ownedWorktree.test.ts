// Issue 9 scenario 2 and `remove`: cleanup commits to and removes only the worktree taskq created;
// add refuses worktree paths that hold something else; remove never leaves an orphan.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cli } from "../helpers/cli.js"
import { git, makeRepo, queueRecords, tempDir, writeQueueRecords } from "../helpers/fixtures.js"
import { sampleRecord } from "../helpers/layers.js"

const setup = () => {
  const dir = tempDir()
  const repo = makeRepo(join(dir, "repo"))
  const queue = join(dir, "queue")
  mkdirSync(queue, { recursive: true })
  return { dir, repo, queue }
}
/** A worktree on a new branch, as `git worktree add` makes it (taskq's or the user's own). */
const worktree = (repo: string, path: string, branch: string) => {
  git(repo, "worktree", "add", "-q", "-b", branch, path)
  return git(path, "rev-parse", "--absolute-git-dir")
}

describe("cleanup removes and commits only what taskq created", () => {
  it.live("the user's own linked worktree as a cancelled task's worktree_path: left as it is, .env and WIP kept", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      const mine = join(dir, "my-feature")
      worktree(repo, mine, "feature")
      writeFileSync(join(mine, ".gitignore"), ".env\n")
      writeFileSync(join(mine, ".env"), "SECRET=1\n")
      writeFileSync(join(mine, "README.md"), "work in progress\n")
      const head = git(repo, "rev-parse", "feature")
      writeQueueRecords(queue, [
        sampleRecord("T-1", queue, { repo, branch: "feature", worktree_path: mine, status: "cancelled" })
      ])
      const r = yield* cli("cleanup", "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.include(r.stdout, `left ${mine} in place: taskq did not create it`)
      assert.strictEqual(readFileSync(join(mine, ".env"), "utf8"), "SECRET=1\n")
      assert.strictEqual(readFileSync(join(mine, "README.md"), "utf8"), "work in progress\n")
      assert.strictEqual(git(repo, "rev-parse", "feature"), head)
      assert.include(git(repo, "worktree", "list"), mine)
    })
  )

  it.live("a record naming the main checkout (even claiming taskq made it): nothing committed to main", () =>
    Effect.gen(function* () {
      const { repo, queue } = setup()
      writeFileSync(join(repo, "README.md"), "uncommitted on main\n")
      const head = git(repo, "rev-parse", "main")
      writeQueueRecords(queue, [
        sampleRecord("T-1", queue, {
          repo,
          branch: "main",
          worktree_path: repo,
          status: "done",
          created_worktree: repo
        })
      ])
      const r = yield* cli("cleanup", "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.include(r.stdout, `left ${repo} in place: it is the main working tree of ${repo}`)
      assert.strictEqual(git(repo, "rev-parse", "main"), head)
      assert.strictEqual(readFileSync(join(repo, "README.md"), "utf8"), "uncommitted on main\n")
    })
  )

  it.live("two tasks sharing a worktree: cleaning the done one leaves the one in review alone", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      const shared = join(dir, "shared")
      const admin = worktree(repo, shared, "taskq/A")
      writeFileSync(join(shared, "agent.txt"), "the agent's work\n")
      writeQueueRecords(queue, [
        sampleRecord("A", queue, {
          repo,
          branch: "taskq/A",
          worktree_path: shared,
          status: "done",
          created_worktree: shared,
          created_worktree_admin: admin
        }),
        sampleRecord("B", queue, { repo, branch: "taskq/A", worktree_path: shared, status: "review", port: 1 })
      ])
      const r = yield* cli("cleanup", "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.include(r.stdout, "task B (review) uses it too")
      assert.strictEqual(readFileSync(join(shared, "agent.txt"), "utf8"), "the agent's work\n")
    })
  )

  it.live("the worktree taskq created: its changes are committed to the task branch, then it goes", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      const wt = join(dir, "wt")
      const admin = worktree(repo, wt, "taskq/T-1")
      writeFileSync(join(wt, "new.txt"), "agent output\n")
      const mainHead = git(repo, "rev-parse", "main")
      writeQueueRecords(queue, [
        sampleRecord("T-1", queue, {
          repo,
          worktree_path: wt,
          status: "done",
          created_worktree: wt,
          created_worktree_admin: admin,
          created_branch: "taskq/T-1"
        })
      ])
      const r = yield* cli("cleanup", "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.include(r.stdout, "committed the worktree's changes to taskq/T-1")
      assert.include(r.stdout, `removed worktree ${wt}`)
      assert.isFalse(existsSync(wt))
      assert.strictEqual(git(repo, "show", "taskq/T-1:new.txt"), "agent output")
      assert.strictEqual(git(repo, "rev-parse", "main"), mainHead)
      assert.notProperty(queueRecords(queue)[0], "created_worktree")
    })
  )
})

describe("add refuses a worktree path that holds something else", () => {
  it.live("/, system folders, the repo, its .git, the queue, an existing file or folder, another task's worktree", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      writeFileSync(join(dir, "file.txt"), "x\n")
      mkdirSync(join(dir, "full"))
      writeFileSync(join(dir, "full", "a"), "a\n")
      const first = yield* cli("add", "--id", "T-1", "--repo", repo, "--task", "t", "--queue-dir", queue)
      assert.isTrue(first.ok, first.stderr)
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["/", "is the filesystem root"],
        ["/etc", "is the system folder /etc"],
        ["/usr/lib/x", "is inside the system folder /usr"],
        ["/tmp", "is a system folder"],
        [repo, "is the repository"],
        [join(repo, ".git"), "is inside a .git folder"],
        [join(repo, ".git", "wt"), "is inside a .git folder"],
        [queue, "is or contains the queue"],
        [join(queue, "tasks", "x"), "is inside the queue's folder"],
        [dir, "contains the repository"],
        [join(dir, "file.txt"), "is an existing file"],
        [join(dir, "full"), "is an existing folder with files in it"],
        [join(queue, "worktrees", "T-1"), "is the worktree of task T-1 (todo)"],
        [join(queue, "worktrees", "T-1", "sub"), "overlaps the worktree of task T-1 (todo)"]
      ]
      for (const [path, reason] of cases) {
        const r = yield* cli(
          "add",
          "--id",
          "T-2",
          "--repo",
          repo,
          "--task",
          "t",
          "--worktree-path",
          path,
          "--queue-dir",
          queue
        )
        assert.isFalse(r.ok, path)
        assert.include(r.stderr, reason, path)
        assert.strictEqual(r.stderr.split("\n").length, 1)
      }
      assert.lengthOf(queueRecords(queue), 1)
      const ok = yield* cli(
        "add",
        "--id",
        "T-2",
        "--repo",
        repo,
        "--task",
        "t",
        "--worktree-path",
        join(dir, "wt2"),
        "--queue-dir",
        queue
      )
      assert.isTrue(ok.ok, ok.stderr)
    })
  )
})

describe("remove never leaves an orphan", () => {
  it.live(
    "a task with a worktree and agent state is refused with the command that cleans it; --force cleans first",
    () =>
      Effect.gen(function* () {
        const { dir, repo, queue } = setup()
        const wt = join(dir, "wt")
        const admin = worktree(repo, wt, "taskq/T-1")
        const state = join(queue, "opencode", "T-1", "attempt-1")
        mkdirSync(state, { recursive: true })
        mkdirSync(join(queue, "errors"), { recursive: true })
        writeFileSync(join(queue, "errors", "T-1.json"), "{}\n")
        const rec = { repo, worktree_path: wt, created_worktree: wt, created_worktree_admin: admin }
        writeQueueRecords(queue, [
          sampleRecord("T-1", queue, { ...rec, status: "review" }),
          sampleRecord("T-2", queue, { repo, status: "failed" })
        ])
        const refused = yield* cli("remove", "--id", "T-1", "--queue-dir", queue)
        assert.isFalse(refused.ok)
        assert.include(refused.stderr, `task T-1 (review) still has worktree ${wt}, agent state`)
        assert.include(refused.stderr, "taskq cancel --id T-1 && taskq cleanup --id T-1")
        assert.lengthOf(queueRecords(queue), 2)

        const forced = yield* cli("remove", "--id", "T-1", "--force", "--queue-dir", queue)
        assert.isTrue(forced.ok, forced.stderr)
        assert.include(forced.stdout, `removed worktree ${wt}`)
        assert.isFalse(existsSync(wt))
        assert.isFalse(existsSync(join(queue, "opencode", "T-1")))
        assert.isFalse(existsSync(join(queue, "errors", "T-1.json")))
        assert.deepStrictEqual(
          queueRecords(queue).map((r) => r.id),
          ["T-2"]
        )

        // without runtime state, plain remove works and takes the error report too
        writeFileSync(join(queue, "errors", "T-2.json"), "{}\n")
        const plain = yield* cli("remove", "--id", "T-2", "--queue-dir", queue)
        assert.isTrue(plain.ok, plain.stderr)
        assert.isFalse(existsSync(join(queue, "errors", "T-2.json")))
        assert.isTrue(existsSync(join(queue, "tasks.jsonl")))
      })
  )
})
