// The whole loop for real: real git, the real Docker engine, the real worker image and OpenCode,
// the scripted model. Each test drives the taskq binary as a user would.
import { assert, describe, it } from "vitest"
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { scripted } from "../helpers/agentRuntime.js"
import { BIN, git, tempDir } from "../helpers/fixtures.js"
import { containersOf, inspectField, isRunning, uid, useRealRuntime } from "../helpers/e2e.js"

const { fresh } = useRealRuntime()
const write = (file: string, content: string) => ({ tool: "write", args: { filePath: file, content } })

describe("taskq run, review, cleanup (real runtime)", () => {
  it("happy path: add -> run -> review with a live session -> done -> cleanup, twice", async () => {
    const s = fresh()
    const id = uid("happy")
    const task = scripted("Create hello.txt", [write("hello.txt", "hello\n"), { text: "Created hello.txt." }])
    assert.strictEqual((await s.add(id, task)).code, 0)
    const notYet = await s.taskq("review", "--id", id)
    assert.deepInclude(notYet, { code: 1 })
    assert.include(notYet.stderr, "it is todo, not review")

    const run = await s.taskq("run")
    assert.strictEqual(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`^${id}: review \\(session ses_`))
    const r = s.record(id)
    assert.strictEqual(r.status, "review")
    assert.isAbove(r.port as number, 0)
    const container = r.container as string
    assert.match(container, new RegExp(`^task-${id}-\\d{8}T\\d{6}Z$`))
    // nobody is looking yet: the container is stopped, its state kept in the attempt dirs and the worktree
    assert.isFalse(isRunning(container))
    const wt = r.worktree_path as string
    assert.strictEqual(readFileSync(join(wt, "hello.txt"), "utf8"), "hello\n")
    assert.strictEqual(git(wt, "rev-parse", "--abbrev-ref", "HEAD"), `taskq/${id}`)
    assert.strictEqual(r.base_sha, git(s.repo, "rev-parse", "main"))
    assert.include(
      (await s.taskq("status", "--id", id)).stdout,
      "usage (attempt 1): 2 model turns, tokens in 20, out 10"
    )
    const password = readFileSync(join(r.opencode_attempt_dir as string, "server-password"), "utf8").trim()
    // review, without a terminal: starts the container again, checks the session, says how to open it
    // (how long that takes is bench/review.sh's to measure, not a test's: it flaked on a loaded machine)
    const review = await s.taskq("review", "--id", id)
    assert.strictEqual(review.code, 0, review.stderr)
    assert.isTrue(isRunning(container))
    const port = s.record(id).port as number
    assert.include(review.stdout, `started ${container} again for review`)
    assert.include(review.stdout, `${id}: session ${r.session_id}`)
    assert.include(review.stdout, `127.0.0.1:${port}/`)
    assert.include(review.stdout, `docker exec -it -e OPENCODE_SERVER_PASSWORD ${container} opencode attach`)
    assert.notInclude(review.stdout + review.stderr, password)
    assert.include(
      review.stdout,
      `${container} opencode attach http://127.0.0.1:4096 --dir ${wt} --session ${r.session_id}`
    )
    // the session is readable from the server the container brought back
    const auth = { authorization: `Basic ${Buffer.from(`opencode:${password}`).toString("base64")}` }
    const messages = (await (
      await fetch(`http://127.0.0.1:${port}/session/${r.session_id}/message`, { headers: auth })
    ).json()) as Array<{ parts: Array<{ type: string; text?: string }> }>
    assert.include(
      messages
        .flatMap((m) => m.parts)
        .map((p) => p.text ?? "")
        .join(" "),
      "Created hello.txt."
    )
    // at a terminal: the container's own OpenCode attaches its TUI to the session (tmux plays the person)
    const pane = `taskq-review-${id}`
    execFileSync("tmux", [
      "new-session",
      "-d",
      "-s",
      pane,
      "-x",
      "160",
      "-y",
      "45",
      `TASKQ_QUEUE_DIR=${s.queue} ${process.execPath} ${BIN} review --id ${id}; sleep 60`
    ])
    try {
      let screen = ""
      for (let i = 0; i < 60 && !screen.includes("Created hello.txt."); i++) {
        await new Promise((res) => setTimeout(res, 500))
        screen = execFileSync("tmux", ["capture-pane", "-p", "-t", pane], { encoding: "utf8" })
      }
      assert.include(screen, `taskq ${id} (attempt 1)`)
      assert.include(screen, "Created hello.txt.")
    } finally {
      execFileSync("tmux", ["kill-session", "-t", pane])
    }
    // with OpenChamber installed: launched with exactly its interface, in the worktree, printing the session's URL
    const chamberDir = tempDir()
    const chamber = join(chamberDir, "openchamber")
    writeFileSync(
      chamber,
      [
        "#!/bin/sh",
        `env | grep -E '^OPENCODE_' | sort > ${chamberDir}/env.txt`,
        `pwd > ${chamberDir}/cwd.txt`,
        `echo "$@" > ${chamberDir}/args.txt`,
        // what OpenChamber does first: open the server with the password it was given
        `curl -s -o /dev/null -w '%{http_code}' -u "opencode:$OPENCODE_SERVER_PASSWORD" "$OPENCODE_HOST/session/${r.session_id}" > ${chamberDir}/with.txt`,
        `curl -s -o /dev/null -w '%{http_code}' "$OPENCODE_HOST/session/${r.session_id}" > ${chamberDir}/without.txt`,
        ""
      ].join("\n"),
      { mode: 0o755 }
    )
    const launched = await s.taskqWith(
      { TASKQ_OPENCHAMBER: chamber, OPENCODE_CONFIG_DIR: "/elsewhere" },
      "review",
      "--id",
      id
    )
    assert.strictEqual(launched.code, 0, launched.stderr)
    const env = readFileSync(join(chamberDir, "env.txt"), "utf8")
    const expected = [
      `OPENCODE_HOST=http://127.0.0.1:${port}`,
      `OPENCODE_SERVER_PASSWORD=${password}`,
      "OPENCODE_SKIP_START=true"
    ]
    assert.strictEqual(env, expected.join("\n") + "\n")
    assert.strictEqual(readFileSync(join(chamberDir, "cwd.txt"), "utf8").trim(), wt)
    const uiPort = /--port (\d+)/.exec(readFileSync(join(chamberDir, "args.txt"), "utf8"))?.[1]
    assert.include(launched.stdout, `OpenChamber at http://127.0.0.1:${uiPort}/?session=${r.session_id}`)
    assert.strictEqual(readFileSync(join(chamberDir, "with.txt"), "utf8"), "200")
    assert.strictEqual(readFileSync(join(chamberDir, "without.txt"), "utf8"), "401")
    // --print-url launches nothing and says how to open it
    const printed = await s.taskqWith({ TASKQ_OPENCHAMBER: chamber }, "review", "--id", id, "--print-url")
    assert.strictEqual(printed.code, 0, printed.stderr)
    assert.include(printed.stdout, "openchamber: (cd ")
    assert.include(printed.stdout, `?session=${r.session_id}`)
    assert.notInclude(printed.stdout, password)

    assert.strictEqual((await s.taskq("done", "--id", id)).code, 0)
    const cleanup = await s.taskq("cleanup")
    assert.strictEqual(cleanup.code, 0, cleanup.stderr)
    assert.deepStrictEqual(containersOf(id), [])
    assert.isFalse(existsSync(wt))
    assert.isFalse(existsSync(join(s.queue, "opencode", id)))
    const after = s.record(id)
    for (const k of ["container", "port", "session_id", "opencode_config_dir", "base_sha"]) assert.notProperty(after, k)
    assert.strictEqual(after.status, "done")
    assert.isTrue(existsSync(join(s.queue, "tasks", `${id}.md`)))
    // the agent's work is on the task branch, not lost with the worktree
    assert.strictEqual(git(s.repo, "show", `taskq/${id}:hello.txt`), "hello")
    const again = await s.taskq("cleanup")
    assert.deepInclude(again, { code: 0, stdout: "nothing to clean up\n" })
  }, 180_000)

  it("a model error fails the task with a report; container and worktree kept; retry runs attempt 2 in fresh state", async () => {
    const s = fresh()
    const id = uid("fail")
    await s.add(id, scripted("Fail", [{ httpError: 400, message: "scripted provider failure" }]))
    const run = await s.taskq("run", "--id", id)
    assert.strictEqual(run.code, 1)
    assert.include(run.stdout, `${id}: failed at agent`)
    assert.include(run.stderr, `1 task(s) failed: ${id}`)
    const r = s.record(id)
    assert.strictEqual(r.status, "failed")
    assert.include(r.error as string, "scripted provider failure")
    const report = s.report(id)
    assert.deepInclude(report, { task_id: id, attempt: 1, stage: "agent", exit_code: 400 })
    assert.include(report.stderr, "scripted provider failure")
    assert.property(report, "stdout")
    // preserved for inspection and recorded
    assert.isTrue(isRunning(r.container as string))
    assert.isTrue(existsSync(r.worktree_path as string))
    // a failed task can be opened for inspection, saying it failed
    const inspect = await s.taskq("review", "--id", id, "--print-url")
    assert.strictEqual(inspect.code, 0, inspect.stderr)
    assert.include(inspect.stdout, `${id} is failed (inspection only): `)
    assert.include(inspect.stdout, `session ${r.session_id}`)

    // the person fixes the prompt and retries: attempt 2, fresh attempt dir, attempt 1 untouched
    const attempt1 = r.opencode_attempt_dir as string
    const marker = join(attempt1, "config", "opencode.json")
    const before = readFileSync(marker, "utf8")
    assert.strictEqual((await s.taskq("retry", "--id", id)).code, 0)
    writeFileSync(
      join(s.queue, "tasks", `${id}.md`),
      scripted("Now succeed", [write("fixed.txt", "ok\n"), { text: "fixed" }])
    )
    const rerun = await s.taskq("run")
    assert.strictEqual(rerun.code, 0, rerun.stderr + rerun.stdout)
    const r2 = s.record(id)
    assert.deepInclude(r2, { status: "review", attempt: 2 })
    assert.strictEqual(r2.opencode_attempt_dir, join(s.queue, "opencode", id, "attempt-2"))
    assert.strictEqual(readFileSync(marker, "utf8"), before)
    assert.isTrue(existsSync(join(attempt1, "data")))
    assert.strictEqual(containersOf(id).length, 1, "attempt 1's container was replaced")
    assert.isTrue(existsSync(join(r2.worktree_path as string, "fixed.txt")))
  }, 180_000)

  it("a container that dies fails the task at stage container; --cleanup-on-fail removes it and the worktree, keeping the work", async () => {
    const s = fresh()
    const id = uid("dies")
    await s.add(
      id,
      scripted("Die", [
        write("partial.txt", "partial work\n"),
        { tool: "bash", args: { command: "kill -9 $PPID", description: "kill the server" } }
      ])
    )
    const run = await s.taskq("run", "--cleanup-on-fail")
    assert.strictEqual(run.code, 1)
    const r = s.record(id)
    assert.strictEqual(r.status, "failed")
    const report = s.report(id)
    assert.strictEqual(report.stage, "container")
    assert.match(report.stderr, /stopped|disappeared/)
    assert.deepStrictEqual(containersOf(id), [])
    assert.notProperty(r, "container")
    assert.isFalse(existsSync(r.worktree_path as string))
    assert.strictEqual(git(s.repo, "show", `taskq/${id}:partial.txt`), "partial work")
  }, 180_000)

  it("two runners at once: the task is claimed once, the other runner skips it", async () => {
    const s = fresh()
    const id = uid("claim")
    await s.add(id, scripted("Once", [write("once.txt", "1\n"), { text: "ok" }]))
    const [a, b] = await Promise.all([s.taskq("run"), s.taskq("run")])
    assert.strictEqual(a.code, 0, a.stderr)
    assert.strictEqual(b.code, 0, b.stderr)
    const outputs = [a.stdout, b.stdout].join("")
    assert.strictEqual(outputs.split(`${id}: review`).length - 1, 1, outputs)
    assert.match(outputs, new RegExp(`${id}: skipped|no todo tasks`))
    assert.strictEqual(containersOf(id).length, 1)
    assert.strictEqual(s.record(id).status, "review")
  }, 180_000)

  it("an agent that never goes idle is failed by the idle timeout, cleanly", async () => {
    const s = fresh()
    const id = uid("idle")
    await s.add(id, scripted("Hang", [{ hang: true }]))
    const started = Date.now()
    const run = await s.taskq("run", "--idle-timeout", "3")
    assert.strictEqual(run.code, 1)
    assert.isBelow(Date.now() - started, 60_000)
    const report = s.report(id)
    assert.deepInclude(report, { stage: "agent-timeout", exit_code: 124 })
    assert.strictEqual(s.record(id).status, "failed")
  }, 180_000)

  it("--max-parallel 3 runs three tasks at once, each in its own container and worktree", async () => {
    const s = fresh()
    const ids = [uid("par"), uid("par"), uid("par")]
    for (const id of ids) {
      await s.add(id, scripted(`Task ${id}`, [write(`${id}.txt`, `${id}\n`), { text: "done", delayMs: 2000 }]))
    }
    const run = await s.taskq(
      "run",
      "--max-parallel",
      "3",
      "--memory-mb",
      "768",
      "--cpus",
      "1.5",
      "--pids-limit",
      "512"
    )
    assert.strictEqual(run.code, 0, run.stderr)
    const records = ids.map((id) => s.record(id))
    const limits = inspectField(
      records[0]?.container as string,
      "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}"
    )
    assert.strictEqual(limits, `${768 * 1024 * 1024} 1500000000 512`)
    for (const r of records) assert.strictEqual(r.status, "review")
    assert.strictEqual(new Set(records.map((r) => r.container)).size, 3)
    assert.strictEqual(new Set(records.map((r) => r.worktree_path)).size, 3)
    for (const r of records) assert.isTrue(existsSync(join(r.worktree_path as string, `${r.id}.txt`)))
    // every pair of [started_at, finished_at] intervals overlaps
    const spans = records.map((r) => [Date.parse(r.started_at as string), Date.parse(r.finished_at as string)] as const)
    for (const [a0, a1] of spans) for (const [b0, b1] of spans) assert.isTrue(a0 < b1 && b0 < a1, JSON.stringify(spans))
  }, 240_000)

  it("an existing worktree: refused without --dirty-run, reused with it (stale containers removed), --follow streaming", async () => {
    const s = fresh()
    const id = uid("dirty")
    await s.add(id, scripted("Continue", [write("second.txt", "2\n"), { text: "ok" }]))
    const wt = s.record(id).worktree_path as string
    git(s.repo, "worktree", "add", "-q", "-b", `taskq/${id}`, wt, "main")
    writeFileSync(join(wt, "first.txt"), "1\n")
    execFileSync(
      "docker",
      ["run", "-d", "--name", `stale-${id}`, "--label", `taskq.task=${id}`, "local/debian:bookworm", "sleep", "300"],
      { stdio: "ignore" }
    )
    const refused = await s.taskq("run", "--id", id)
    assert.strictEqual(refused.code, 1)
    assert.include(refused.stdout, "already exists (run with --dirty-run to reuse it)")
    assert.strictEqual((await s.taskq("retry", "--id", id)).code, 0)
    const run = await s.taskq("run", "--id", id, "--dirty-run", "--follow=raw")
    assert.strictEqual(run.code, 0, run.stderr + run.stdout)
    // --follow=raw: the container's output (OpenCode's own log) on stderr, each line prefixed by the task id
    const followed = run.stderr.split("\n").filter((l) => l.startsWith(`[${id}] `))
    assert.isAbove(followed.length, 3, run.stderr)
    assert.isTrue(
      followed.some((l) => l.includes("opencode server listening")),
      run.stderr.slice(0, 2000)
    )
    assert.strictEqual(s.record(id).status, "review")
    assert.isTrue(existsSync(join(wt, "first.txt")))
    assert.isTrue(existsSync(join(wt, "second.txt")))
    assert.notInclude(containersOf(id), `stale-${id}`)
    assert.strictEqual(statSync(wt).isDirectory(), true)
  }, 180_000)
})
