// The CLI on a PostgreSQL queue (--queue-url / TASKQ_QUEUE_URL), and tasks on a repository by URL.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import { git, makeRepo, runTaskq, tempDir } from "../helpers/fixtures.js"
import { freshPgUrl } from "./pg.js"

const bareUrl = () => {
  const bare = join(tempDir("taskq-origin-"), "origin.git")
  git(makeRepo(), "clone", "-q", "--bare", ".", bare)
  return `file://${bare}`
}

describe("taskq on a PostgreSQL queue", () => {
  it.live(
    "db migrate, add (local path and URL), status, transitions, --runners; a bad URL is one line",
    () =>
      Effect.gen(function* () {
        const url = yield* freshPgUrl
        const cwd = tempDir()
        const taskq = (...args: ReadonlyArray<string>) =>
          Effect.promise(() => runTaskq(args, { cwd, env: { TASKQ_QUEUE_URL: url } }))
        assert.include((yield* taskq("db", "migrate")).stdout, "applied migration 1")
        assert.include((yield* taskq("db", "migrate")).stdout, "schema up to date (version 1)")
        const repo = makeRepo()
        const remote = bareUrl()
        assert.strictEqual((yield* taskq("add", "--id", "T-1", "--repo", repo, "--task", "one")).code, 0)
        const added = yield* taskq("add", "--id", "T-2", "--repo", remote, "--task", "two")
        assert.strictEqual(added.code, 0, added.stderr)
        const listed = JSON.parse((yield* taskq("status", "--json")).stdout) as ReadonlyArray<Record<string, unknown>>
        assert.deepStrictEqual(
          listed.map((r) => [r["id"], r["repo"], r["base"], r["status"]]),
          [
            ["T-1", repo, "main", "todo"],
            ["T-2", remote, "main", "todo"]
          ]
        )
        assert.strictEqual((yield* taskq("cancel", "--id", "T-1")).code, 0)
        const refused = yield* taskq("done", "--id", "T-1")
        assert.strictEqual(refused.code, 1)
        assert.strictEqual(refused.stderr.trim(), 'taskq: task T-1 is cancelled: "done" is not allowed from cancelled')
        assert.strictEqual((yield* taskq("status", "--runners")).stdout.trim(), "no live runners")
        const dup = yield* taskq("add", "--id", "T-2", "--repo", repo, "--task", "again")
        assert.strictEqual(dup.code, 1)
        assert.include(dup.stderr, "already exists")
        const bad = yield* Effect.promise(() =>
          runTaskq(["status"], { cwd, env: { TASKQ_QUEUE_URL: "postgres://nobody@127.0.0.1:1/none" } })
        )
        assert.strictEqual(bad.code, 1)
        assert.strictEqual(bad.stderr.trim().split("\n").length, 1, bad.stderr)
        assert.include(bad.stderr, "postgres://nobody@127.0.0.1:1/none")
      }).pipe(Effect.scoped),
    60_000
  )

  it.live("a URL repo on the JSONL queue: base from the remote's HEAD; an unreachable URL is refused", () =>
    Effect.gen(function* () {
      const queue = join(tempDir(), "queue")
      const remote = bareUrl()
      const ok = yield* Effect.promise(() =>
        runTaskq(["add", "--id", "U-1", "--repo", remote, "--task", "t", "--queue-dir", queue])
      )
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.include(ok.stdout, `repo ${remote}, base main`)
      const bad = yield* Effect.promise(() =>
        runTaskq(["add", "--id", "U-2", "--repo", "file:///nonexistent.git", "--task", "t", "--queue-dir", queue])
      )
      assert.strictEqual(bad.code, 1)
      assert.include(bad.stderr, "cannot read the repository file:///nonexistent.git")
    })
  )
})
