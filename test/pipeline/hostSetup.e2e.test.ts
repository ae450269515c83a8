// The user's own OpenCode setup for real: a HOME with ~/.config/opencode and an auth.json login,
// no queue/opencode.json and no key in the environment; the real task container runs on it.
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { execFileSync } from "node:child_process"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ensureWorkerImage, mockModelConfig, scripted, startBridgeModel } from "../helpers/agentRuntime.js"
import { makeRepo, runTaskq, tempDir } from "../helpers/fixtures.js"
import { containersOf, removeContainers, uid } from "../helpers/e2e.js"
import type { ScriptedModel } from "../support/scriptedModel.js"

let model: ScriptedModel
const ids: Array<string> = []
const dirs: Array<string> = []

beforeAll(async () => {
  ensureWorkerImage()
  model = await startBridgeModel()
}, 300_000)
afterAll(async () => {
  removeContainers(ids)
  await model?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A HOME whose OpenCode talks to the scripted model with the key only in auth.json. */
const userHome = (key: string) => {
  const home = tempDir("taskq-home-")
  dirs.push(home)
  const config = mockModelConfig(model.port)
  const { apiKey: _dropped, ...options } = config.provider.mock.options
  const cfg = join(home, ".config", "opencode")
  mkdirSync(join(cfg, "command"), { recursive: true })
  writeFileSync(
    join(cfg, "opencode.json"),
    JSON.stringify({ ...config, provider: { mock: { ...config.provider.mock, options } } })
  )
  writeFileSync(
    join(cfg, "command", "make-plan.md"),
    "---\ndescription: Plan the task\n---\nPLAN-TEMPLATE-7Q: write a plan for: $ARGUMENTS\n"
  )
  mkdirSync(join(home, ".local", "share", "opencode"), { recursive: true })
  writeFileSync(join(home, ".local", "share", "opencode", "auth.json"), JSON.stringify({ mock: { type: "api", key } }))
  return home
}
const noKeys = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => /_API_KEY$|^OPENCODE_|^XDG_/.test(k))
    .map((k) => [k, undefined])
)

describe("the host's OpenCode config and login reach the task (real runtime)", () => {
  it("a task runs to review on ~/.config/opencode + auth.json alone; status lists names, never the key", async () => {
    const key = `sk-auth-${Math.random().toString(36).slice(2)}`
    const home = userHome(key)
    const queue = join(tempDir("taskq-e2e-"), "queue")
    dirs.push(queue)
    const repo = makeRepo()
    dirs.push(repo)
    const env = { ...noKeys, HOME: home, TASKQ_QUEUE_DIR: queue, TASKQ_IDLE_TIMEOUT: "60", TASKQ_TIMEOUT: "180" }
    const taskq = (...args: ReadonlyArray<string>) => runTaskq(args, { env })
    const id = uid("host")
    ids.push(id)
    const prompt = scripted("Create a.txt", [
      { tool: "write", args: { filePath: "a.txt", content: "a\n" } },
      { text: "Made a.txt." }
    ])
    assert.strictEqual((await taskq("add", "--id", id, "--repo", repo, "--task", prompt)).code, 0)
    const run = await taskq("run", "--id", id)
    assert.strictEqual(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, new RegExp(`^${id}: review`))

    const calls = model.agentCalls().filter((r) => r.headers.authorization === `Bearer ${key}`)
    assert.isAbove(calls.length, 0, "the model server never saw the key from auth.json")

    const status = await taskq("status", "--id", id)
    assert.strictEqual(status.code, 0, status.stderr)
    assert.include(status.stdout, "bootstrapped: opencode.json = host opencode.json + taskq's keys")
    assert.include(status.stdout, "command/make-plan.md")
    assert.include(status.stdout, "auth.json (mock)")
    assert.notInclude(status.stdout, key)
    // the key is nowhere in the container's configuration either
    for (const c of containersOf(id))
      assert.notInclude(execFileSync("docker", ["inspect", c], { encoding: "utf8" }), key)

    // --no-host-auth: the same task without the login gets no key through
    assert.strictEqual((await taskq("reject", "--id", id)).code, 0)
    assert.strictEqual((await taskq("retry", "--id", id)).code, 0)
    const before = model.agentCalls().length
    const bare = await taskq("run", "--id", id, "--no-host-auth")
    assert.strictEqual(bare.code, 0, bare.stderr + bare.stdout)
    const later = model.agentCalls().slice(before)
    assert.isAbove(later.length, 0)
    for (const r of later) assert.notStrictEqual(r.headers.authorization, `Bearer ${key}`)
    assert.include((await taskq("status", "--id", id)).stdout, "no host auth")

    assert.strictEqual((await taskq("cancel", "--id", id)).code, 0)
    assert.strictEqual((await taskq("cleanup")).code, 0)
    assert.deepStrictEqual(containersOf(id), [])
  }, 240_000)
})
