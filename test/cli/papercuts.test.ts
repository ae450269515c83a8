// Issue 9's papercuts: read-only commands never create a queue, help and version, a rejected
// task says so, the table fits the terminal, taskq's commits carry the repository's author.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { renderRecord } from "../../src/cli/status.js"
import { renderTable } from "../../src/cli/statusTable.js"
import { cli } from "../helpers/cli.js"
import { git, makeRepo, runTaskq, tempDir } from "../helpers/fixtures.js"
import { sampleRecord } from "../helpers/layers.js"

describe("papercuts", () => {
  it.live("status, review, cleanup and remove without a queue say where they looked and create nothing", () =>
    Effect.gen(function* () {
      const cwd = tempDir()
      for (const args of [
        ["status"],
        ["status", "--id", "T-1"],
        ["review", "--id", "T-1"],
        ["cleanup"],
        ["remove", "--id", "T-1"]
      ]) {
        const r = yield* Effect.promise(() => runTaskq(args, { cwd, env: { TASKQ_QUEUE_DIR: undefined } }))
        assert.strictEqual(r.code, 1, args.join(" "))
        assert.strictEqual(r.stderr, "taskq: no queue at ./queue; --queue-dir or TASKQ_QUEUE_DIR\n")
      }
      const other = yield* Effect.promise(() => runTaskq(["status"], { cwd, env: { TASKQ_QUEUE_DIR: join(cwd, "q") } }))
      assert.strictEqual(other.stderr, `taskq: no queue at ${join(cwd, "q")}; --queue-dir or TASKQ_QUEUE_DIR\n`)
      assert.deepStrictEqual(readdirSync(cwd), [])
    })
  )

  it.live("taskq help, taskq help COMMAND and taskq version work", () =>
    Effect.gen(function* () {
      const help = yield* Effect.promise(() => runTaskq(["help"]))
      assert.strictEqual(help.code, 0)
      assert.include(help.stdout, "USAGE")
      const sub = yield* Effect.promise(() => runTaskq(["help", "remove"]))
      assert.strictEqual(sub.code, 0)
      assert.include(sub.stdout, "--force")
      const version = yield* Effect.promise(() => runTaskq(["version"]))
      assert.strictEqual(version.code, 0)
      assert.match(version.stdout, /^taskq v\d+\.\d+\.\d+/)
      // the launcher answers a bare --version itself: the same line the CLI prints, package.json's version
      const { version: pkg } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string }
      // with a subcommand beside it, --version goes through the CLI itself
      const cliSays = yield* Effect.promise(() => runTaskq(["status", "--version"]))
      for (const args of [["--version"], ["-v"], ["version"]]) {
        const r = yield* Effect.promise(() => runTaskq(args))
        assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, `taskq v${pkg}\n`, ""])
        assert.strictEqual(r.stdout, cliSays.stdout)
      }
    })
  )

  it.live("a bad flag is one line naming the command once, exit 1", () =>
    Effect.gen(function* () {
      const r = yield* Effect.promise(() => runTaskq(["status", "--bogus"]))
      assert.deepStrictEqual(
        [r.code, r.stdout, r.stderr],
        [1, "", "taskq status: Unrecognized flag: --bogus (see: taskq status --help)\n"]
      )
    })
  )

  it.live("a rejected task's row says rejected", () =>
    Effect.gen(function* () {
      const queue = join(tempDir(), "queue")
      mkdirSync(queue)
      writeFileSync(join(queue, "tasks.jsonl"), JSON.stringify(sampleRecord("T-1", queue, { status: "review" })) + "\n")
      assert.isTrue((yield* cli("reject", "--id", "T-1", "--queue-dir", queue)).ok)
      const table = yield* cli("status", "--queue-dir", queue)
      const row = table.stdout.split("\n").find((l) => l.startsWith("T-1"))
      assert.match(row ?? "", /failed .*rejected in review/)
    })
  )

  it("the table fits a terminal's width: long notes are cut, the rest stays", () => {
    const long = sampleRecord("T-1", "/q", { status: "failed", error: "stage agent failed: " + "x".repeat(300) })
    const table = renderTable([long, sampleRecord("T-22", "/q")], 100)
    for (const line of table.split("\n")) assert.isAtMost(line.length, 100, line)
    assert.include(table, "…")
    assert.include(table, "T-22")
    assert.include(renderTable([long]), "x".repeat(300))
  })

  it("status --id shows a task's steps as JSON, not [object Object]", () => {
    const shown = renderRecord(sampleRecord("T-1", "/q", { steps: [{ agent: "plan", command: "make-plan" }] }))
    assert.include(shown, 'steps: [{"agent":"plan","command":"make-plan"}]')
    assert.notInclude(shown, "[object Object]")
  })

  it.live("taskq help of an unknown command is that command's error, exit 1", () =>
    Effect.gen(function* () {
      const r = yield* Effect.promise(() => runTaskq(["help", "frobnicate"]))
      assert.deepStrictEqual(
        [r.code, r.stdout, r.stderr],
        [1, "", 'taskq: Unknown subcommand "frobnicate" for "taskq" (see: taskq --help)\n']
      )
    })
  )

  it.live("taskq's own commits use the repository's configured author", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const repo = makeRepo(join(dir, "repo"))
      git(repo, "config", "user.name", "Ana Author")
      git(repo, "config", "user.email", "ana@example.com")
      const queue = join(dir, "queue")
      mkdirSync(queue)
      const wt = join(dir, "wt")
      git(repo, "worktree", "add", "-q", "-b", "taskq/T-1", wt)
      writeFileSync(join(wt, "work.txt"), "w\n")
      const admin = git(wt, "rev-parse", "--absolute-git-dir")
      const rec = {
        repo,
        worktree_path: wt,
        status: "done" as const,
        created_worktree: wt,
        created_worktree_admin: admin
      }
      writeFileSync(join(queue, "tasks.jsonl"), JSON.stringify(sampleRecord("T-1", queue, rec)) + "\n")
      const r = yield* cli("cleanup", "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      assert.isFalse(existsSync(wt))
      assert.strictEqual(git(repo, "log", "-1", "--format=%an <%ae>", "taskq/T-1"), "Ana Author <ana@example.com>")
    })
  )
})
