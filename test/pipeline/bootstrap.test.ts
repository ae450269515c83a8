// The per-attempt bootstrap from the host's OpenCode setup, on real temp dirs with a fake HOME.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from "node:fs"
import { join } from "node:path"
import { bootstrapAttempt, describeBootstrap, readBootstrap, stripJsonc } from "../../src/pipeline/agentConfig.js"
import { tempDir } from "../helpers/fixtures.js"

const setup = () => {
  const root = tempDir("taskq-boot-")
  const home = join(root, "home")
  const cfg = join(home, ".config", "opencode")
  mkdirSync(join(cfg, "command"), { recursive: true })
  mkdirSync(join(cfg, "agent"), { recursive: true })
  mkdirSync(join(cfg, "node_modules", "x"), { recursive: true })
  mkdirSync(join(home, ".local", "share", "opencode"), { recursive: true })
  writeFileSync(join(cfg, "opencode.json"), JSON.stringify({ model: "host/m", autoupdate: true, share: "auto" }))
  writeFileSync(
    join(cfg, "opencode.jsonc"),
    '{\n  // the jsonc wins over the json\n  "small_model": "host/s", "x": "a//b",\n}\n'
  )
  writeFileSync(join(cfg, "command", "make-plan.md"), "Plan: $ARGUMENTS\n")
  writeFileSync(join(cfg, "agent", "planner.md"), "---\nmode: primary\n---\nPlan.\n")
  writeFileSync(join(cfg, "package.json"), '{"dependencies":{"@opencode-ai/plugin":"1.18.33"}}')
  writeFileSync(join(cfg, "package-lock.json"), "{}")
  writeFileSync(join(cfg, "node_modules", "x", "index.js"), "")
  writeFileSync(join(cfg, "big.bin"), Buffer.alloc(2 * 1024 * 1024))
  symlinkSync(join(root, "nowhere"), join(cfg, "dangling"))
  writeFileSync(join(home, ".local", "share", "opencode", "auth.json"), '{"mock":{"type":"api","key":"sk-secret"}}', {
    mode: 0o644
  })
  const queue = join(root, "queue")
  const attemptDir = join(queue, "opencode", "T", "attempt-1")
  const dirs = { attemptDir, configDir: join(attemptDir, "config"), dataDir: join(attemptDir, "data") }
  mkdirSync(dirs.configDir, { recursive: true })
  mkdirSync(dirs.dataDir, { recursive: true })
  return { root, home, cfg, queue, dirs, template: join(queue, "opencode.json") }
}
const withHome = (env: Record<string, string>) =>
  Layer.merge(NodeServices.layer, ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))

describe("bootstrap of an attempt from the host's OpenCode", () => {
  it.live("copies commands, agents and manifests, merges host config < queue template < enforced, auth.json 0600", () =>
    Effect.gen(function* () {
      const s = setup()
      writeFileSync(s.template, JSON.stringify({ model: "queue/m", permission: { bash: "ask" } }))
      const boot = yield* bootstrapAttempt(s.dirs, { hostConfig: true, hostAuth: true, template: s.template }).pipe(
        Effect.provide(withHome({ HOME: s.home }))
      )
      const config = JSON.parse(readFileSync(join(s.dirs.configDir, "opencode.json"), "utf8"))
      assert.strictEqual(config.model, "queue/m")
      assert.strictEqual(config.small_model, "host/s")
      assert.strictEqual(config.x, "a//b")
      assert.strictEqual(config.autoupdate, false)
      assert.strictEqual(config.share, "disabled")
      assert.deepStrictEqual(config.permission, { bash: "ask", "*": "allow", question: "deny" })
      assert.isFalse(existsSync(join(s.dirs.configDir, "opencode.jsonc")))
      assert.strictEqual(readFileSync(join(s.dirs.configDir, "command", "make-plan.md"), "utf8"), "Plan: $ARGUMENTS\n")
      assert.isTrue(existsSync(join(s.dirs.configDir, "agent", "planner.md")))
      assert.isTrue(existsSync(join(s.dirs.configDir, "package.json")))
      for (const gone of ["node_modules", "package-lock.json", "big.bin", "dangling"])
        assert.isFalse(existsSync(join(s.dirs.configDir, gone)), gone)
      const auth = join(s.dirs.dataDir, "auth.json")
      assert.strictEqual(readFileSync(auth, "utf8"), '{"mock":{"type":"api","key":"sk-secret"}}')
      assert.strictEqual(statSync(auth).mode & 0o777, 0o600)
      assert.deepStrictEqual(boot.copied, ["agent/planner.md", "command/make-plan.md", "package.json"])
      assert.deepStrictEqual(boot.auth_providers, ["mock"])
      assert.deepStrictEqual(yield* readBootstrap(s.dirs.attemptDir).pipe(Effect.provide(NodeServices.layer)), boot)
      const line = describeBootstrap(boot)
      assert.include(line, "host opencode.json + host opencode.jsonc + queue opencode.json + taskq's keys")
      assert.include(line, "command/make-plan.md")
      assert.include(line, "auth.json (mock)")
      assert.include(line, "big.bin (over 1 MiB)")
      assert.notInclude(line + readFileSync(join(s.dirs.attemptDir, "bootstrap.json"), "utf8"), "sk-secret")
      rmSync(s.root, { recursive: true, force: true })
    })
  )

  it.live("OPENCODE_CONFIG_DIR and XDG_DATA_HOME win over HOME; --no-host-config/--no-host-auth copy nothing", () =>
    Effect.gen(function* () {
      const s = setup()
      const other = join(s.root, "other")
      mkdirSync(join(other, "cfg", "command"), { recursive: true })
      mkdirSync(join(other, "data", "opencode"), { recursive: true })
      writeFileSync(join(other, "cfg", "command", "x.md"), "x")
      writeFileSync(join(other, "data", "opencode", "auth.json"), '{"other":{"type":"api","key":"k"}}')
      const env = { HOME: s.home, OPENCODE_CONFIG_DIR: join(other, "cfg"), XDG_DATA_HOME: join(other, "data") }
      const boot = yield* bootstrapAttempt(s.dirs, { hostConfig: true, hostAuth: true, template: s.template }).pipe(
        Effect.provide(withHome(env))
      )
      assert.deepStrictEqual(boot.copied, ["command/x.md"])
      assert.deepStrictEqual(boot.auth_providers, ["other"])

      const t = setup()
      const none = yield* bootstrapAttempt(t.dirs, { hostConfig: false, hostAuth: false, template: t.template }).pipe(
        Effect.provide(withHome({ HOME: t.home }))
      )
      assert.deepStrictEqual(none, { merged: [], copied: [], skipped: [], auth_providers: [] })
      assert.isFalse(existsSync(join(t.dirs.dataDir, "auth.json")))
      assert.isFalse(existsSync(join(t.dirs.configDir, "command")))
      const config = JSON.parse(readFileSync(join(t.dirs.configDir, "opencode.json"), "utf8"))
      assert.strictEqual(config.autoupdate, false)
      assert.notProperty(config, "model")
      rmSync(s.root, { recursive: true, force: true })
      rmSync(t.root, { recursive: true, force: true })
    })
  )

  it.live("a broken host config or auth.json is a clear error naming the file", () =>
    Effect.gen(function* () {
      const s = setup()
      writeFileSync(join(s.cfg, "opencode.json"), "{ not json")
      const e = yield* bootstrapAttempt(s.dirs, { hostConfig: true, hostAuth: true, template: s.template }).pipe(
        Effect.provide(withHome({ HOME: s.home })),
        Effect.flip
      )
      assert.include(e.message, join(s.cfg, "opencode.json"))
      writeFileSync(join(s.cfg, "opencode.json"), "{}")
      writeFileSync(join(s.home, ".local", "share", "opencode", "auth.json"), "[1]")
      const a = yield* bootstrapAttempt(s.dirs, { hostConfig: true, hostAuth: true, template: s.template }).pipe(
        Effect.provide(withHome({ HOME: s.home })),
        Effect.flip
      )
      assert.include(a.message, "auth.json: not a JSON object")
      rmSync(s.root, { recursive: true, force: true })
    })
  )

  it("stripJsonc drops comments and trailing commas, not string contents", () => {
    assert.deepStrictEqual(JSON.parse(stripJsonc('{"a": "x // y", /* c */ "b": [1, 2,], // t\n}')), {
      a: "x // y",
      b: [1, 2]
    })
  })
})
