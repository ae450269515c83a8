// Several machines for real: three runner processes, each with its own working dir and mirror cache
// (as three hosts would have), share one PostgreSQL queue of 12 tasks on a repository given by the
// file:// URL of a bare repo. One runner is SIGKILLed mid-task. Every task must end in review or
// failed(runner) exactly once, each reviewed branch with the agent's work must be in the bare repo,
// and no container may be left without a record. The two survivors then drain on SIGTERM.
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { scripted } from "../helpers/agentRuntime.js"
import { git, makeRepo, runTaskq, type Started, startTaskq, tempDir } from "../helpers/fixtures.js"
import { agentQueue, containersOf, uid, until, useRealRuntime } from "../helpers/e2e.js"
import { pgBaseUrl, withSchema } from "../store/pg.js"

const runtime = useRealRuntime()
const ids = runtime.ids
const schema = `t_multihost_${Math.random().toString(36).slice(2, 8)}`
const psql = (sql: string) =>
  execFileSync("psql", [pgBaseUrl(), "-qAtc", sql], {
    encoding: "utf8",
    env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" }
  }).trim()

beforeAll(() => {
  psql(`CREATE SCHEMA ${schema}`)
})
afterAll(() => {
  psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
})

interface Runner extends Started {
  readonly name: string
}

describe("three runners on one PostgreSQL queue", () => {
  it("a runner SIGKILLed mid-task: every task in review or failed(runner) once, branches pushed, no stray container", async () => {
    const url = withSchema(pgBaseUrl(), schema)
    const source = makeRepo()
    const bare = join(tempDir("taskq-bare-"), "origin.git")
    git(source, "clone", "-q", "--bare", source, bare)
    const repoUrl = `file://${bare}`
    const env = (dir: string, host?: string) => ({
      // each runner its own host: a dead one's task can only come back through its expired lease
      ...(host ? { TASKQ_RUNNER_HOST: host } : {}),
      TASKQ_QUEUE_URL: url,
      TASKQ_QUEUE_DIR: dir,
      TASKQ_LEASE_SECONDS: "6",
      TASKQ_IDLE_TIMEOUT: "90",
      TASKQ_TIMEOUT: "240"
    })
    const hosts = ["host-a", "host-b", "host-c"].map((name) => ({
      name,
      dir: agentQueue(runtime.model.port, `taskq-${name}-`)
    }))

    const adder = hosts[0]?.dir ?? ""
    for (let i = 0; i < 12; i++) {
      const id = uid(`mh${i}`)
      ids.push(id)
      const prompt = scripted(`Task ${i}`, [
        { tool: "write", args: { filePath: `${id}.txt`, content: `work of ${id}\n` }, delayMs: 1500 },
        { text: "done", delayMs: 500 }
      ])
      const r = await runTaskq(["add", "--id", id, "--repo", repoUrl, "--task", prompt], { env: env(adder) })
      assert.strictEqual(r.code, 0, r.stderr)
    }
    const state = (): Map<string, { status: string; stage: string | null; runner: string | null; host: string }> =>
      new Map(
        psql(
          `SET search_path = ${schema}; SELECT t.id, t.status, e.report->>'stage', t.record->>'runner', t.record->>'host'
           FROM taskq_tasks t LEFT JOIN taskq_errors e ON e.task_id = t.id`
        )
          .split("\n")
          .filter(Boolean)
          .map((l) => {
            const [id, status, stage, runner, host] = l.split("|")
            return [id ?? "", { status: status ?? "", stage: stage || null, runner: runner || null, host: host ?? "" }]
          })
      )

    const runners: Array<Runner> = hosts.map(({ name, dir }) => ({
      name,
      ...startTaskq(["run", "--poll", "1", "--drain-timeout", "120"], { env: env(dir, name) })
    }))
    const [victim, ...survivors] = runners
    if (!victim) throw new Error("no runners")
    const victimId = `host-a:${victim.child.pid}`

    // mid-task: the victim holds a task whose agent session is running
    await until(
      "the victim mid-task",
      () =>
        psql(
          `SET search_path = ${schema}; SELECT count(*) FROM taskq_tasks WHERE status = 'in_progress'
           AND record->>'runner' LIKE '%${victimId}' AND record ? 'session_id'`
        ) === "1",
      180_000
    )
    const victimTasks = [...state()].filter(([, s]) => s.runner?.endsWith(victimId)).map(([id]) => id)
    victim.child.kill("SIGKILL")
    await victim.done

    const final = new Set(["review", "failed", "done", "cancelled"])
    await until("every task settled", () => [...state().values()].every((s) => final.has(s.status)), 420_000)

    // the survivors drain on SIGTERM and exit 0
    for (const r of survivors) r.child.kill("SIGTERM")
    for (const r of survivors) {
      const exit = await r.done
      assert.strictEqual(exit.code, 0, `${r.name}: ${r.out.stderr}`)
    }

    const end = state()
    const failed = [...end].filter(([, s]) => s.status === "failed")
    assert.deepStrictEqual(
      failed.map(([id]) => id),
      victimTasks,
      "only the victim's task failed"
    )
    for (const [, s] of failed) assert.strictEqual(s.stage, "runner")
    // another host's runner found the lease expired: the report says so
    for (const [id] of failed)
      assert.include(
        psql(`SET search_path = ${schema}; SELECT report->>'message' FROM taskq_errors WHERE task_id = '${id}'`),
        "stopped renewing its lease"
      )
    // the record names the host that holds each reviewed task
    for (const [id, s] of end)
      if (s.status === "review") assert.include(["host-a", "host-b", "host-c"], s.host, `${id}'s host`)
    const reviewed = [...end].filter(([, s]) => s.status === "review").map(([id]) => id)
    assert.strictEqual(reviewed.length + failed.length, 12, JSON.stringify([...end]))
    // exactly once: one attempt each, and each review reported by one runner only
    assert.strictEqual(
      psql(`SET search_path = ${schema}; SELECT count(*) FROM taskq_tasks WHERE (record->>'attempt')::int <> 1`),
      "0"
    )
    const stdout = runners.map((r) => r.out.stdout).join("\n")
    for (const id of reviewed) assert.strictEqual(stdout.split(`${id}: review`).length - 1, 1, `${id} reviewed once`)
    // the agent's work is on each task branch in the bare repo
    for (const id of reviewed)
      assert.strictEqual(git(bare, "show", `refs/heads/taskq/${id}:${id}.txt`), `work of ${id}`, `${id}'s branch`)
    // every container of these tasks is named by its task's record
    for (const id of ids) {
      const named = psql(`SET search_path = ${schema}; SELECT record->>'container' FROM taskq_tasks WHERE id = '${id}'`)
      for (const c of containersOf(id)) assert.strictEqual(c, named, `container ${c} of ${id} has a record`)
    }
    // the runners were on three "hosts" of their own: three working dirs, each with its own mirror
    for (const h of hosts)
      assert.lengthOf(
        execFileSync("ls", [join(h.dir, "mirrors")], { encoding: "utf8" })
          .trim()
          .split("\n"),
        1
      )
  }, 600_000)
})
