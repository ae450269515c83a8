// The user's own OpenCode setup for real: a HOME with ~/.config/opencode and an auth.json login,
// no queue/opencode.json and no key in the environment; the real task container runs on it.
import { assert, describe, it } from "vitest"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { mockModelConfig, scripted } from "../helpers/agentRuntime.js"
import { git, tempDir } from "../helpers/fixtures.js"
import { containersOf, type Scratch, uid, useRealRuntime } from "../helpers/e2e.js"

const runtime = useRealRuntime()

/** A HOME whose OpenCode talks to the scripted model with the key only in auth.json. */
const userHome = (key: string) => {
  const home = tempDir("taskq-home-")
  const config = mockModelConfig(runtime.model.port)
  const { apiKey: _dropped, ...options } = config.provider.mock.options
  const cfg = join(home, ".config", "opencode")
  mkdirSync(join(cfg, "command"), { recursive: true })
  const models = { ...config.provider.mock.models, "mock-model-2": config.provider.mock.models["mock-model"] }
  writeFileSync(
    join(cfg, "opencode.json"),
    JSON.stringify({ ...config, provider: { mock: { ...config.provider.mock, options, models } } })
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
/** A scratch repo and queue with no opencode.json, no key in the environment, and `home` as HOME. */
const onHostSetup = (home: string): Scratch => runtime.fresh({ agentConfig: false, env: { ...noKeys, HOME: home } })

describe("the host's OpenCode config and login reach the task (real runtime)", () => {
  it("a task runs to review on ~/.config/opencode + auth.json alone; status lists names, never the key", async () => {
    const key = `sk-auth-${Math.random().toString(36).slice(2)}`
    const s = onHostSetup(userHome(key))
    const id = uid("host")
    const prompt = scripted("Create a.txt", [
      { tool: "write", args: { filePath: "a.txt", content: "a\n" } },
      { text: "Made a.txt." }
    ])
    assert.strictEqual((await s.add(id, prompt)).code, 0)
    const run = await s.taskq("run", "--id", id)
    assert.strictEqual(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, new RegExp(`^${id}: review`))

    const calls = runtime.model.agentCalls().filter((r) => r.headers.authorization === `Bearer ${key}`)
    assert.isAbove(calls.length, 0, "the model server never saw the key from auth.json")

    const status = await s.taskq("status", "--id", id)
    assert.strictEqual(status.code, 0, status.stderr)
    assert.include(status.stdout, "bootstrapped: opencode.json = host opencode.json + taskq's keys")
    assert.include(status.stdout, "command/make-plan.md")
    assert.include(status.stdout, "auth.json (mock)")
    assert.notInclude(status.stdout, key)
    // the key is nowhere in the container's configuration either
    for (const c of containersOf(id))
      assert.notInclude(execFileSync("docker", ["inspect", c], { encoding: "utf8" }), key)

    // --no-host-auth: without the login the model has no key, and run says so before starting anything
    assert.strictEqual((await s.taskq("reject", "--id", id)).code, 0)
    assert.strictEqual((await s.taskq("retry", "--id", id)).code, 0)
    const bare = await s.taskq("run", "--id", id, "--no-host-auth")
    assert.strictEqual(bare.code, 1, bare.stderr + bare.stdout)
    assert.include(bare.stderr, "has no credentials for its provider mock")

    assert.strictEqual((await s.taskq("cancel", "--id", id)).code, 0)
    assert.strictEqual((await s.taskq("cleanup")).code, 0)
    assert.deepStrictEqual(containersOf(id), [])
  }, 240_000)

  it("plan then build: two steps in one session, each with its agent, command and model; a failing step 2 is named", async () => {
    const key = `sk-auth-${Math.random().toString(36).slice(2)}`
    const s = onHostSetup(userHome(key))
    const dir = tempDir("taskq-tasks-")
    const indent = (text: string) =>
      text
        .split("\n")
        .map((l) => `      ${l}`)
        .join("\n")
    /** A task file whose first step runs the make-plan command and whose second builds with mock-model-2. */
    const taskFile = (id: string, build: ReadonlyArray<object>) => {
      const file = join(dir, `${id}.md`)
      writeFileSync(
        file,
        [
          "---",
          `id: ${id}`,
          `repo: ${s.repo}`,
          "steps:",
          "  - agent: plan",
          "    command: make-plan",
          "  - agent: build",
          "    model: mock/mock-model-2",
          "    prompt: |",
          indent(scripted(`BUILD-STEP ${id}: carry out the plan.`, build)),
          "---",
          scripted(`Plan b.txt for ${id}.`, [{ text: `PLAN-OUTPUT ${id}: write b.txt` }])
        ].join("\n")
      )
      s.ids.push(id)
      return file
    }
    const good = uid("plan")
    const bad = uid("step2")
    const unknown = uid("nocmd")
    assert.strictEqual(
      (
        await s.taskq(
          "add",
          "--task-file",
          taskFile(good, [
            { tool: "bash", args: { command: "ls", description: "look around" } },
            { tool: "write", args: { filePath: "b.txt", content: "b\n" } },
            { text: "Built b.txt.\nAll done." }
          ])
        )
      ).code,
      0
    )
    assert.strictEqual(
      (await s.taskq("add", "--task-file", taskFile(bad, [{ httpError: 400, message: "scripted step-2 failure" }])))
        .code,
      0
    )
    const noCmd = await s.add(unknown, "x")
    assert.strictEqual(noCmd.code, 0, noCmd.stderr)
    // an unknown command is only known to the server: the queue's default steps name one
    writeFileSync(join(s.queue, "taskq.json"), JSON.stringify({ steps: [{ command: "no-such-command" }] }))

    const run = await s.taskq("run", "--max-parallel", "3", "--follow")
    assert.strictEqual(run.code, 1, run.stdout + run.stderr)
    // --follow: the agent's work, per task: step boundaries, text, tool calls, tokens and cost
    const followed = run.stderr.split("\n").filter((l) => l.startsWith(`[${good}] `))
    const expectLine = (what: string) =>
      assert.isTrue(
        followed.some((l) => l.includes(what)),
        `no "${what}" in --follow output:\n${followed.join("\n")}`
      )
    expectLine(`[${good}] == step 1/2 plan (make-plan): sent, waiting for the agent`)
    expectLine(`[${good}] PLAN-OUTPUT ${good}: write b.txt`)
    expectLine(`[${good}] == step 2/2 build: sent to mock/mock-model-2, waiting for the agent`)
    expectLine(`[${good}] bash: ls`)
    expectLine(`[${good}] write b.txt`)
    expectLine(`[${good}] Built b.txt.`)
    expectLine(`[${good}] All done.`)
    expectLine(`[${good}] tokens in 10, out 5`)
    expectLine(`[${good}] == session total: 4 model turns`)
    console.log(followed.join("\n"))

    // the good task: both steps, in order, each with its model and the command's template
    assert.strictEqual(s.record(good).status, "review", run.stdout)
    assert.strictEqual(readFileSync(join(s.record(good).worktree_path as string, "b.txt"), "utf8"), "b\n")
    const lastUser = (body: unknown): string => {
      const messages = (body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? []
      const m = messages.filter((x) => x.role === "user").slice(-1)[0]
      return typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "")
    }
    const calls = runtime.model.agentCalls().filter((r) => JSON.stringify(r.body).includes(`Plan b.txt for ${good}.`))
    const plan = calls.filter((r) => lastUser(r.body).includes("PLAN-TEMPLATE-7Q: write a plan for: Plan b.txt"))
    const build = calls.filter((r) => lastUser(r.body).includes(`BUILD-STEP ${good}`))
    assert.isAbove(plan.length, 0, JSON.stringify(calls.map((c) => lastUser(c.body))))
    assert.strictEqual(build.length, 3)
    for (const r of plan) assert.strictEqual((r.body as { model: string }).model, "mock-model")
    for (const r of build) assert.strictEqual((r.body as { model: string }).model, "mock-model-2")
    assert.isBelow(Math.max(...plan.map((r) => r.at)), Math.min(...build.map((r) => r.at)))
    for (const r of calls) assert.strictEqual(r.headers.authorization, `Bearer ${key}`)
    assert.deepStrictEqual((s.record(good).steps as ReadonlyArray<unknown>)[0], { agent: "plan", command: "make-plan" })

    // a failing step 2 is reported as step 2
    assert.strictEqual(s.record(bad).status, "failed")
    assert.include(s.record(bad).error as string, "step 2/2 build")
    const report = s.report(bad)
    assert.include(report.stderr, "step 2/2 build: ")
    assert.include(report.stderr, "scripted step-2 failure")
    assert.include(run.stdout, `${bad}: failed at agent`)

    // an agent/command the server does not know fails before any step, naming it
    assert.strictEqual(s.record(unknown).status, "failed")
    assert.include(s.record(unknown).error as string, "unknown command no-such-command")
    assert.isTrue(existsSync(join(s.queue, "errors", `${unknown}.json`)))
    assert.strictEqual(git(s.repo, "rev-parse", "--abbrev-ref", "HEAD"), "main")
  }, 300_000)
})
