// Faults for real: signals, a container that dies under the agent, machine-wide faults caught by the
// preflight, and provider failures reported as they happened. Real git, dockerd, worker image, OpenCode.
import { assert, describe, it } from "vitest"
import { execFileSync } from "node:child_process"
import { connect, createServer, type Socket } from "node:net"
import { existsSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { scripted } from "../helpers/agentRuntime.js"
import { type CliResult, git, tempDir } from "../helpers/fixtures.js"
import { containersOf, isRunning, type Scratch, sleep, uid, until, useRealRuntime } from "../helpers/e2e.js"

const { fresh } = useRealRuntime()

/** Adds task `id`, whose agent thinks forever, and starts `taskq run`: returned once the agent is prompted. */
const runPrompted = async (s: Scratch, id: string) => {
  assert.strictEqual((await s.add(id, scripted("Think forever", [{ hang: true }]))).code, 0)
  const run = s.start(["run"])
  await until("the agent to be prompted", () => s.record(id).session_id !== undefined)
  await sleep(500)
  return run
}

describe("signals", () => {
  it("SIGHUP mid-run: exit 129, the task recorded failed, its container stopped", async () => {
    const s = fresh()
    const id = uid("hup")
    const run = await runPrompted(s, id)
    run.child.kill("SIGHUP")
    const r = await run.done
    assert.strictEqual(r.code, 129, r.stderr)
    assert.include(r.stderr, "SIGHUP")
    const record = s.record(id)
    assert.strictEqual(record.status, "failed")
    assert.include(record.error as string, "interrupted")
    const names = containersOf(id)
    assert.isAbove(names.length, 0)
    for (const name of names) assert.isFalse(isRunning(name), name)
  })
})

describe("preflight: a machine-wide fault claims nothing", () => {
  const twoTasks = async (s: Scratch) => {
    const ids = [uid("pre"), uid("pre")]
    for (const id of ids) assert.strictEqual((await s.add(id, "x")).code, 0)
    return ids
  }
  const untouched = (s: Scratch, ids: ReadonlyArray<string>) => {
    for (const id of ids) {
      assert.deepInclude(s.record(id), { status: "todo", attempt: 1 })
      assert.notProperty(s.record(id), "started_at")
      assert.isFalse(existsSync(join(s.queue, "worktrees", id)), id)
      assert.isFalse(existsSync(join(s.queue, "opencode", id)), id)
      assert.deepStrictEqual(containersOf(id), [])
    }
    assert.notInclude(git(s.repo, "branch", "--list"), "taskq/")
  }
  const oneLine = (r: CliResult) => {
    assert.strictEqual(r.code, 1, r.stdout + r.stderr)
    assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr)
    return r.stderr
  }

  it("a missing image: run says to build it, every task stays todo", async () => {
    const s = fresh()
    const ids = await twoTasks(s)
    const err = oneLine(await s.taskq("run", "--image", "taskq-missing:none"))
    assert.include(err, "taskq-missing:none does not exist: run `taskq build-image --tag taskq-missing:none`")
    untouched(s, ids)
    oneLine(await s.taskq("run", "--id", ids[0] as string, "--image", "taskq-missing:none"))
    untouched(s, ids)
  })

  it("an unreachable engine: run says so, every task stays todo", async () => {
    const s = fresh()
    const ids = await twoTasks(s)
    const r = await s.taskqWith({ DOCKER_HOST: "unix:///nonexistent" }, "run")
    assert.include(oneLine(r), "Docker engine not reachable at unix:///nonexistent")
    untouched(s, ids)
  })

  it("no model configured: run says where to set one, every task stays todo", async () => {
    const s = fresh()
    const ids = await twoTasks(s)
    rmSync(join(s.queue, "opencode.json"))
    const noKeys = Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => k.endsWith("_API_KEY"))
        .map((k) => [k, undefined])
    )
    const r = await s.taskqWith(
      { ...noKeys, HOME: s.queue, OPENCODE_CONFIG_DIR: undefined, XDG_DATA_HOME: undefined },
      "run"
    )
    assert.include(oneLine(r), "no model configured")
    untouched(s, ids)
  })
})

/** A unix socket in front of the Docker engine that a test can cut off for a while, as a blip. */
const engineProxy = async (target = "/var/run/docker.sock") => {
  const path = join(tempDir("taskq-proxy-"), "docker.sock")
  let paused = false
  const open = new Set<Socket>()
  const server = createServer((client) => {
    if (paused) return void client.destroy()
    const upstream = connect(target)
    open.add(client).add(upstream)
    const close = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    for (const s of [client, upstream]) s.on("error", close).on("close", close)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return {
    host: `unix://${path}`,
    pause: () => {
      paused = true
      for (const s of open) s.destroy()
    },
    resume: () => {
      paused = false
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

describe("the Docker engine and the container under the agent", () => {
  it("an engine blip of 4 s while the agent works: the task still reaches review", async () => {
    const s = fresh()
    const id = uid("blip")
    const task = scripted("Slow work", [
      { tool: "write", args: { filePath: "slow.txt", content: "done\n" }, delayMs: 9000 },
      { text: "Wrote slow.txt." }
    ])
    assert.strictEqual((await s.add(id, task)).code, 0)
    const proxy = await engineProxy()
    try {
      const run = s.start(["run"], { DOCKER_HOST: proxy.host })
      await until("the agent to be prompted", () => s.record(id).session_id !== undefined)
      await sleep(1000)
      proxy.pause()
      await sleep(4000)
      proxy.resume()
      const r = await run.done
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      assert.strictEqual(s.record(id).status, "review")
      assert.strictEqual(readFileSync(join(s.record(id).worktree_path as string, "slow.txt"), "utf8"), "done\n")
    } finally {
      await proxy.close()
    }
  })

  it("a container killed under the agent: failed at stage container, with its exit code and log tail", async () => {
    const s = fresh()
    const id = uid("killed")
    const run = await runPrompted(s, id)
    execFileSync("docker", ["kill", s.record(id).container as string], { stdio: "ignore" })
    const r = await run.done
    assert.strictEqual(r.code, 1, r.stdout + r.stderr)
    const record = s.record(id)
    assert.strictEqual(record.status, "failed")
    assert.include(record.error as string, "container")
    const report = s.report(id)
    assert.deepInclude(report, { stage: "container", exit_code: 137 })
    assert.include(report.stdout, "opencode server listening", "the container's log tail")
  })
})

describe("reports that tell the truth", () => {
  const midTask = (code: number) =>
    scripted("Work, then the provider fails", [
      { tool: "write", args: { filePath: "first.txt", content: "1\n" } },
      { httpError: code, message: `provider said no (${code})` }
    ])

  it("the provider answers 500 mid-task while OpenCode retries: the report names the provider's error", async () => {
    const s = fresh()
    const id = uid("p500")
    assert.strictEqual((await s.add(id, midTask(500))).code, 0)
    const r = await s.taskq("run", "--idle-timeout", "6")
    assert.strictEqual(r.code, 1, r.stdout + r.stderr)
    const record = s.record(id)
    assert.strictEqual(record.status, "failed")
    assert.include(record.error as string, "provider said no (500)")
    const report = s.report(id)
    assert.include(report.stderr, "provider said no (500)")
    assert.include(report.stdout, "level=ERROR", "the container's log tail")
  }, 120_000)

  it("the provider answers 401 mid-task: the report has the status, the provider's message and the log tail", async () => {
    const s = fresh()
    const id = uid("p401")
    assert.strictEqual((await s.add(id, midTask(401))).code, 0)
    const r = await s.taskq("run")
    assert.strictEqual(r.code, 1, r.stdout + r.stderr)
    assert.include(s.record(id).error as string, "provider said no (401)")
    const report = s.report(id)
    assert.deepInclude(report, { stage: "agent", exit_code: 401 })
    assert.include(report.stdout, "level=ERROR", "the container's log tail")
  }, 120_000)
})
