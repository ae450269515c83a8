// `taskq add` records steps from the task file's frontmatter or from --agent/--model/--variant.
import { assert, describe, it } from "@effect/vitest"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { readTemplate } from "../../src/pipeline/agentConfig.js"
import { resolveConfig } from "../../src/support/config.js"
import { join } from "node:path"
import { cli } from "../helpers/cli.js"
import { makeRepo, queueRecords, tempDir } from "../helpers/fixtures.js"

describe("taskq add with steps", () => {
  it.live("frontmatter steps are checked and recorded; the body stays the prompt", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const repo = makeRepo()
      const queue = join(dir, "queue")
      const file = join(dir, "plan-build.md")
      writeFileSync(
        file,
        `---\nrepo: ${repo}\nsteps:\n  - {agent: plan, command: make-plan, variant: high}\n` +
          `  - agent: build\n    model: anthropic/claude-x\n    prompt: Now build it.\n---\nAdd a flag.\n`
      )
      const r = yield* cli("add", "--task-file", file, "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      const [t] = queueRecords(queue)
      assert.deepStrictEqual(t.steps, [
        { agent: "plan", command: "make-plan", variant: "high" },
        { agent: "build", model: "anthropic/claude-x", prompt: "Now build it." }
      ])
      assert.strictEqual(readFileSync(join(queue, "tasks", "plan-build.md"), "utf8"), "Add a flag.\n")
    })
  )
  it.live("--agent/--model/--variant make a single-step task; bad steps are refused at add, nothing written", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const repo = makeRepo()
      const queue = join(dir, "queue")
      const r = yield* cli(
        "add",
        "--id",
        "T-1",
        "--repo",
        repo,
        "--task",
        "x",
        "--agent",
        "plan",
        "--model",
        "mock/m",
        "--variant",
        "high",
        "--queue-dir",
        queue
      )
      assert.isTrue(r.ok, r.stderr)
      assert.deepStrictEqual(queueRecords(queue)[0].steps, [{ agent: "plan", model: "mock/m", variant: "high" }])

      const bad = yield* cli(
        "add",
        "--id",
        "T-2",
        "--repo",
        repo,
        "--task",
        "x",
        "--model",
        "claude",
        "--queue-dir",
        queue
      )
      assert.isFalse(bad.ok)
      assert.include(bad.stderr, "provider/model")
      const file = join(dir, "t.md")
      writeFileSync(file, `---\nrepo: ${repo}\nsteps:\n  - agent: plan\n    comand: make-plan\n---\nx\n`)
      const unknown = yield* cli("add", "--task-file", file, "--queue-dir", queue)
      assert.isFalse(unknown.ok)
      assert.include(
        unknown.stderr,
        "t.md: step 1: unknown key comand (allowed: agent, model, variant, command, prompt)"
      )
      assert.strictEqual(queueRecords(queue).length, 1)
      assert.isFalse(existsSync(join(queue, "tasks", "t.md")))
    })
  )
})

describe("the repository's queue/ examples", () => {
  it.live("example-task.md adds as a plan -> build task; taskq.json.example and opencode.json.example are valid", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const repo = makeRepo()
      const queue = join(dir, "queue")
      const r = yield* cli("add", "--task-file", "queue/tasks/example-task.md", "--repo", repo, "--queue-dir", queue)
      assert.isTrue(r.ok, r.stderr)
      const [t] = queueRecords(queue)
      assert.deepInclude(t, { id: "example", repo, base: "main" })
      assert.deepStrictEqual(
        t.steps.map((s: { agent: string }) => s.agent),
        ["plan", "build"]
      )
      // the example itself is never rewritten (the copy is queue/tasks/example.md)
      assert.include(readFileSync("queue/tasks/example-task.md", "utf8"), "steps:")
      copyFileSync("queue/taskq.json.example", join(queue, "taskq.json"))
      const config = yield* resolveConfig({ flags: { queueDir: Option.some(queue) } }).pipe(
        Effect.provide(Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnvRecord({}))))
      )
      assert.strictEqual(config.values.maxParallel, 2)
      assert.strictEqual(config.values.steps?.length, 2)
      const template = yield* readTemplate(join(process.cwd(), "queue/opencode.json.example")).pipe(
        Effect.provide(NodeServices.layer)
      )
      assert.property(template, "model")
    })
  )
})
