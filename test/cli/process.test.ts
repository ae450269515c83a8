// The CLI as users run it: the bundled binary in a child process, exit codes and the stdout/stderr split.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { VERSION } from "../../src/cli/taskq.js"
import { makeRepo, runTaskq, tempDir } from "../helpers/fixtures.js"

const live = (name: string, f: () => Promise<void>) => it.live(name, () => Effect.promise(f))

describe("taskq as a child process", () => {
  live("--version prints the version, exit 0", async () => {
    const r = await runTaskq(["--version"])
    assert.strictEqual(r.code, 0)
    assert.include(r.stdout, VERSION)
    assert.strictEqual(r.stderr, "")
  })

  live("success goes to stdout with exit 0; failure is one stderr line with exit 1", async () => {
    const repo = makeRepo()
    const queue = join(tempDir(), "queue")
    const ok = await runTaskq(["add", "--id", "T-1", "--repo", repo, "--task", "x", "--queue-dir", queue])
    assert.deepInclude(ok, { code: 0, stderr: "" })
    assert.include(ok.stdout, "added T-1")
    const dup = await runTaskq(["add", "--id", "T-1", "--repo", repo, "--task", "x", "--queue-dir", queue])
    assert.deepInclude(dup, { code: 1, stdout: "", stderr: "taskq: a task with id T-1 already exists\n" })
  })

  live("a bad flag and an unknown command are one stderr line, exit 1, no help dump", async () => {
    for (const args of [["add", "--idd", "x"], ["frobnicate"], ["status", "--json=maybe"]]) {
      const r = await runTaskq(args, { cwd: tempDir() })
      assert.strictEqual(r.code, 1, args.join(" "))
      assert.strictEqual(r.stdout, "")
      assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr)
    }
  })

  live("run refuses contradictory flags before touching anything", async () => {
    const queue = join(tempDir(), "queue")
    for (const [args, message] of [
      [["run", "--id", "T-1", "--poll"], "--id and --poll cannot be combined"],
      [["run", "--id", "T-1", "--poll", "3"], "--id and --poll cannot be combined"],
      [["run", "--max-parallel", "0"], "--max-parallel: 0 is not an integer >= 1"],
      [["cleanup", "--done-only", "--cancelled-only"], "cannot be combined"],
      [["run", "--on-ask", "maybe"], "on-ask"]
    ] as const) {
      const r = await runTaskq([...args, "--queue-dir", queue])
      assert.strictEqual(r.code, 1, args.join(" "))
      assert.include(r.stderr, message)
      assert.strictEqual(r.stderr.trim().split("\n").length, 1)
    }
    const unknown = await runTaskq(["run", "--id", "nope", "--queue-dir", queue])
    assert.deepInclude(unknown, { code: 1, stderr: "taskq: no task with id nope\n" })
  })

  live("TASKQ_QUEUE_DIR chooses the queue; --queue-dir beats it", async () => {
    const repo = makeRepo()
    const dir = tempDir()
    const envQueue = join(dir, "from-env")
    await runTaskq(["add", "--id", "E", "--repo", repo, "--task", "x"], { env: { TASKQ_QUEUE_DIR: envQueue } })
    const viaEnv = await runTaskq(["status", "--json"], { env: { TASKQ_QUEUE_DIR: envQueue } })
    assert.deepStrictEqual(
      JSON.parse(viaEnv.stdout).map((t: { id: string }) => t.id),
      ["E"]
    )
    await runTaskq(["add", "--id", "F", "--repo", repo, "--task", "x", "--queue-dir", join(dir, "other")])
    const viaFlag = await runTaskq(["status", "--json", "--queue-dir", join(dir, "other")], {
      env: { TASKQ_QUEUE_DIR: envQueue }
    })
    assert.deepStrictEqual(
      JSON.parse(viaFlag.stdout).map((t: { id: string }) => t.id),
      ["F"]
    )
  })

  live("the default queue is ./queue in the current directory", async () => {
    const repo = makeRepo()
    const cwd = tempDir()
    const r = await runTaskq(["add", "--id", "C", "--repo", repo, "--task", "x"], {
      cwd,
      env: { TASKQ_QUEUE_DIR: undefined }
    })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.include(readFileSync(join(cwd, "queue", "tasks.jsonl"), "utf8"), '"id":"C"')
  })

  live("status: a table, one task in full, JSON, and an unknown id", async () => {
    const repo = makeRepo()
    const queue = join(tempDir(), "queue")
    // status never creates a queue; an empty one says so
    assert.deepInclude(await runTaskq(["status", "--queue-dir", queue]), {
      code: 1,
      stderr: `taskq: no queue at ${queue}; --queue-dir or TASKQ_QUEUE_DIR\n`
    })
    mkdirSync(queue)
    writeFileSync(join(queue, "tasks.jsonl"), "")
    assert.strictEqual((await runTaskq(["status", "--queue-dir", queue])).stdout, "no tasks\n")
    await runTaskq(["add", "--id", "T-1", "--repo", repo, "--task", "x", "--queue-dir", queue])
    await runTaskq(["add", "--id", "T-2", "--repo", repo, "--task", "y", "--queue-dir", queue])
    const table = (await runTaskq(["status", "--queue-dir", queue])).stdout.trim().split("\n")
    assert.match(table[0] ?? "", /^ID\s+STATUS\s+ATTEMPT\s+BRANCH\s+UPDATED/)
    assert.match(table[1] ?? "", /^T-1\s+todo\s+1\s+taskq\/T-1/)
    assert.strictEqual(table.length, 3)
    const one = await runTaskq(["status", "--id", "T-2", "--queue-dir", queue])
    assert.include(one.stdout, "id: T-2\n")
    assert.include(one.stdout, "status: todo\n")
    const json = JSON.parse((await runTaskq(["status", "--id", "T-2", "--json", "--queue-dir", queue])).stdout)
    assert.strictEqual(json.branch, "taskq/T-2")
    assert.deepInclude(await runTaskq(["status", "--id", "nope", "--queue-dir", queue]), {
      code: 1,
      stdout: "",
      stderr: "taskq: no task with id nope\n"
    })
  })

  live("done, cancel, retry, reject and remove move tasks through the state machine", async () => {
    const repo = makeRepo()
    const queue = join(tempDir(), "queue")
    const q = (...args: ReadonlyArray<string>) => runTaskq([...args, "--queue-dir", queue])
    await q("add", "--id", "T-1", "--repo", repo, "--task", "x")
    assert.deepInclude(await q("done", "--id", "T-1"), {
      code: 1,
      stderr: 'taskq: task T-1 is todo: "done" is not allowed from todo\n'
    })
    assert.deepInclude(await q("retry", "--id", "T-1"), { code: 1 })
    assert.deepInclude(await q("cancel", "--id", "T-1"), { code: 0, stdout: "T-1: todo -> cancelled\n" })
    assert.deepInclude(await q("cancel", "--id", "T-1"), { code: 1 })
    // a task the pipeline failed: retry -> todo with the next attempt
    const file = join(queue, "tasks.jsonl")
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace('"status":"cancelled"', '"status":"failed","error":"boom","port":5')
    )
    assert.deepInclude(await q("retry", "--id", "T-1"), { code: 0, stdout: "T-1: failed -> todo (attempt 2)\n" })
    const retried = JSON.parse((await q("status", "--id", "T-1", "--json")).stdout)
    assert.deepInclude(retried, { status: "todo", attempt: 2 })
    assert.notProperty(retried, "error")
    assert.notProperty(retried, "port")
    writeFileSync(file, readFileSync(file, "utf8").replace('"status":"todo"', '"status":"review"'))
    assert.deepInclude(await q("reject", "--id", "T-1"), { code: 0, stdout: "T-1: review -> failed\n" })
    assert.deepInclude(await q("remove", "--id", "T-1"), { code: 0, stdout: "removed T-1\n" })
    assert.deepInclude(await q("remove", "--id", "T-1"), { code: 1, stderr: "taskq: no task with id T-1\n" })
    assert.include(readFileSync(join(queue, "tasks", "T-1.md"), "utf8"), "x")
  })

  live("a broken queue line: every command says file:line, exit 1, and the file is untouched", async () => {
    const repo = makeRepo()
    const queue = join(tempDir(), "queue")
    await runTaskq(["add", "--id", "T-1", "--repo", repo, "--task", "x", "--queue-dir", queue])
    const file = join(queue, "tasks.jsonl")
    const broken = readFileSync(file, "utf8") + "{oops\n"
    writeFileSync(file, broken)
    for (const args of [
      ["status"],
      ["add", "--id", "T-2", "--repo", repo, "--task", "y"],
      ["cancel", "--id", "T-1"],
      ["remove", "--id", "T-1"]
    ]) {
      const r = await runTaskq([...args, "--queue-dir", queue])
      assert.strictEqual(r.code, 1, args.join(" "))
      assert.match(
        r.stderr,
        new RegExp(`^taskq: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: not a valid task record`)
      )
      assert.strictEqual(r.stderr.trim().split("\n").length, 1)
    }
    assert.strictEqual(readFileSync(file, "utf8"), broken)
  })
})
