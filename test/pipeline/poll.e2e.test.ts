// `taskq run --poll`: picks up tasks added while it runs; SIGINT stops it with exit 130 and leaves a
// consistent queue (the task in flight failed and recorded, its container stopped).
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { ensureWorkerImage, scripted, startBridgeModel } from "../helpers/agentRuntime.js"
import { BIN } from "../helpers/fixtures.js"
import { containersOf, isRunning, removeContainers, type Scratch, scratch, uid } from "../helpers/e2e.js"
import type { ScriptedModel } from "../support/scriptedModel.js"

let model: ScriptedModel
const made: Array<Scratch> = []

beforeAll(async () => {
  ensureWorkerImage()
  model = await startBridgeModel()
}, 300_000)
afterAll(async () => {
  for (const sc of made) removeContainers(sc.ids)
  await model?.close()
})

const until = async (what: string, check: () => boolean, timeoutMs = 90_000) => {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("taskq run --poll", () => {
  it("picks up tasks added while polling; SIGINT -> exit 130, the task in flight failed and its container stopped", async () => {
    const sc = scratch(model.port)
    made.push(sc)
    const poller = spawn(process.execPath, [BIN, "run", "--poll", "1", "--max-parallel", "2"], {
      env: { ...process.env, TASKQ_QUEUE_DIR: sc.queue, TASKQ_IDLE_TIMEOUT: "120" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    poller.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
    })
    poller.stderr.on("data", (d: Buffer) => {
      stderr += d.toString()
    })
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      poller.on("close", (code, signal) => r({ code, signal }))
    )
    await new Promise((r) => setTimeout(r, 1500))

    const quick = uid("pollq")
    assert.strictEqual(
      (
        await sc.taskq(
          "add",
          "--id",
          quick,
          "--repo",
          sc.repo,
          "--task",
          scripted("Quick", [{ tool: "write", args: { filePath: "q.txt", content: "q\n" } }, { text: "ok" }])
        )
      ).code,
      0
    )
    // reported once its container is parked (stopped until review), a moment after the record says review
    await until(
      `${quick} in review and reported`,
      () => sc.record(quick).status === "review" && stdout.includes(`${quick}: review`)
    )
    assert.include(stdout, `${quick}: review`)

    const slow = uid("polls")
    await sc.taskq("add", "--id", slow, "--repo", sc.repo, "--task", scripted("Hang", [{ hang: true }]))
    await until(`${slow}'s prompt in flight`, () => {
      const r = sc.record(slow)
      return r.status === "in_progress" && typeof r.session_id === "string"
    })
    const container = sc.record(slow).container as string
    assert.isTrue(isRunning(container))

    poller.kill("SIGINT")
    const { code } = await exited
    assert.strictEqual(code, 130, stderr)

    const r = sc.record(slow)
    assert.strictEqual(r.status, "failed")
    assert.include(r.error as string, "interrupted")
    const report = JSON.parse(readFileSync(join(sc.queue, "errors", `${slow}.json`), "utf8"))
    assert.deepInclude(report, { exit_code: 130, stage: "execute" })
    assert.deepStrictEqual(containersOf(slow), [container])
    assert.isFalse(isRunning(container), "the interrupted task's container is stopped")
    assert.isTrue(existsSync(r.worktree_path as string), "and its worktree kept")
    // the finished task is untouched, and nothing is left in progress
    assert.strictEqual(sc.record(quick).status, "review")
    // (its container stopped when it reached review: nobody is looking yet)
    assert.isFalse(isRunning(sc.record(quick).container as string))
    const statuses = readFileSync(join(sc.queue, "tasks.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).status)
    assert.notInclude(statuses, "in_progress")
  }, 240_000)

  it("a runner killed with SIGKILL leaves its task in progress; the next run recovers it as failed and it can be retried", async () => {
    const sc = scratch(model.port)
    made.push(sc)
    const id = uid("orphan")
    await sc.taskq("add", "--id", id, "--repo", sc.repo, "--task", scripted("Hang", [{ hang: true }]))
    const runner = spawn(process.execPath, [BIN, "run"], {
      env: { ...process.env, TASKQ_QUEUE_DIR: sc.queue, TASKQ_IDLE_TIMEOUT: "120" },
      stdio: "ignore"
    })
    const gone = new Promise((r) => runner.on("close", r))
    await until(`${id}'s prompt in flight`, () => typeof sc.record(id).session_id === "string")
    runner.kill("SIGKILL")
    await gone
    const stuck = sc.record(id)
    assert.strictEqual(stuck.status, "in_progress")
    assert.strictEqual(stuck.runner, `${hostname()}:${runner.pid}`)

    const next = await sc.taskq("run")
    assert.strictEqual(next.code, 1)
    assert.include(
      next.stdout,
      `${id}: failed at runner: its runner (${stuck.runner}) stopped without recording an outcome`
    )
    const r = sc.record(id)
    assert.strictEqual(r.status, "failed")
    assert.notProperty(r, "runner")
    assert.isFalse(isRunning(stuck.container as string), "its container is stopped")
    assert.deepInclude(JSON.parse(readFileSync(join(sc.queue, "errors", `${id}.json`), "utf8")), {
      stage: "runner",
      exit_code: 137
    })
    assert.deepInclude(await sc.taskq("retry", "--id", id), { code: 0 })
  }, 240_000)
})
