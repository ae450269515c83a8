// `taskq run --poll`: picks up tasks added while it runs; SIGINT stops it with exit 130 and leaves a
// consistent queue (the task in flight failed and recorded, its container stopped).
import { assert, describe, it } from "vitest"
import { existsSync } from "node:fs"
import { hostname } from "node:os"
import { scripted } from "../helpers/agentRuntime.js"
import { containersOf, isRunning, sleep, uid, until, useRealRuntime } from "../helpers/e2e.js"

const { fresh } = useRealRuntime()

describe("taskq run --poll", () => {
  it("picks up tasks added while polling; SIGINT -> exit 130, the task in flight failed and its container stopped", async () => {
    const sc = fresh()
    const poller = sc.start(["run", "--poll", "1", "--max-parallel", "2"], { TASKQ_IDLE_TIMEOUT: "120" })
    await sleep(1500)

    const quick = uid("pollq")
    const write = { tool: "write", args: { filePath: "q.txt", content: "q\n" } }
    assert.strictEqual((await sc.add(quick, scripted("Quick", [write, { text: "ok" }]))).code, 0)
    // reported once its container is parked (stopped until review), a moment after the record says review
    await until(
      `${quick} in review and reported`,
      () => sc.record(quick).status === "review" && poller.out.stdout.includes(`${quick}: review`),
      90_000
    )
    assert.include(poller.out.stdout, `${quick}: review`)

    const slow = uid("polls")
    await sc.add(slow, scripted("Hang", [{ hang: true }]))
    await until(
      `${slow}'s prompt in flight`,
      () => {
        const r = sc.record(slow)
        return r.status === "in_progress" && typeof r.session_id === "string"
      },
      90_000
    )
    const container = sc.record(slow).container as string
    assert.isTrue(isRunning(container))

    poller.child.kill("SIGINT")
    const { code, stderr } = await poller.done
    assert.strictEqual(code, 130, stderr)

    const r = sc.record(slow)
    assert.strictEqual(r.status, "failed")
    assert.include(r.error as string, "interrupted")
    const report = sc.report(slow)
    assert.deepInclude(report, { exit_code: 130, stage: "execute" })
    assert.deepStrictEqual(containersOf(slow), [container])
    assert.isFalse(isRunning(container), "the interrupted task's container is stopped")
    assert.isTrue(existsSync(r.worktree_path as string), "and its worktree kept")
    // the finished task is untouched, and nothing is left in progress
    assert.strictEqual(sc.record(quick).status, "review")
    // (its container stopped when it reached review: nobody is looking yet)
    assert.isFalse(isRunning(sc.record(quick).container as string))
    const statuses = sc.records().map((r) => r.status)
    assert.notInclude(statuses, "in_progress")
  }, 240_000)

  it("a runner killed with SIGKILL leaves its task in progress; the next run recovers it as failed and it can be retried", async () => {
    const sc = fresh()
    const id = uid("orphan")
    await sc.add(id, scripted("Hang", [{ hang: true }]))
    const runner = sc.start(["run"], { TASKQ_IDLE_TIMEOUT: "120" })
    await until(`${id}'s prompt in flight`, () => typeof sc.record(id).session_id === "string", 90_000)
    runner.child.kill("SIGKILL")
    await runner.done
    const stuck = sc.record(id)
    assert.strictEqual(stuck.status, "in_progress")
    assert.strictEqual(stuck.runner, `${hostname()}:${runner.child.pid}`)

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
    assert.deepInclude(sc.report(id), {
      stage: "runner",
      exit_code: 137
    })
    assert.deepInclude(await sc.taskq("retry", "--id", id), { code: 0 })
  }, 240_000)
})
