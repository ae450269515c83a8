// The environment allow-list and the attempt's secrets files.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { agentEnv } from "../../src/pipeline/agentEnv.js"
import { TaskqConfig } from "../../src/support/config.js"
import {
  envFileText,
  readServerPassword,
  SERVER_PASSWORD_FILE,
  writeAttemptSecrets
} from "../../src/support/attemptSecrets.js"
import { allowList, DEFAULT_ENV_ALLOW_LIST, filterEnv, parseAllowList } from "../../src/support/env.js"

/** agentEnv with `env` as the whole environment (TaskqConfig reads its lists from it too). */
const envOf = (env: Record<string, string>) =>
  agentEnv.pipe(
    Effect.provide(TaskqConfig.layer),
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
  )

describe("environment allow-list", () => {
  it("passes only allow-listed, set variables", () => {
    const env = { ANTHROPIC_API_KEY: "k", HOME: "/root", AWS_SECRET_ACCESS_KEY: "s", OPENAI_API_KEY: undefined }
    assert.deepStrictEqual(filterEnv(env), { ANTHROPIC_API_KEY: "k" })
    assert.deepStrictEqual(filterEnv(env, ["HOME", "NOPE"]), { HOME: "/root" })
  })
  it("parses names, keeping what is not a variable name apart", () => {
    assert.deepStrictEqual(parseAllowList("FOO, BAR  baz-qux 1X _OK"), {
      names: ["FOO", "BAR", "_OK"],
      invalid: ["baz-qux", "1X"]
    })
    assert.deepStrictEqual(parseAllowList(undefined), { names: [], invalid: [] })
  })
  it("TASKQ_ENV_ALLOW replaces the default list (none: nothing), TASKQ_ENV_ALLOW_ADD extends it", () => {
    assert.deepStrictEqual(allowList(undefined, undefined).names, DEFAULT_ENV_ALLOW_LIST)
    assert.deepStrictEqual(allowList("OPENAI_API_KEY", undefined).names, ["OPENAI_API_KEY"])
    assert.deepStrictEqual(allowList("none", undefined).names, [])
    assert.deepStrictEqual(allowList("none", "A").names, ["A"])
    assert.deepStrictEqual(allowList(" ", undefined).names, DEFAULT_ENV_ALLOW_LIST)
    assert.deepStrictEqual(allowList(undefined, "MY_TOKEN").names, [...DEFAULT_ENV_ALLOW_LIST, "MY_TOKEN"])
    assert.deepStrictEqual(allowList("A", "B,A").names, ["A", "B"])
  })
  it.effect("agentEnv reads the lists and the values from the environment", () =>
    Effect.gen(function* () {
      const host = { ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o", MY_TOKEN: "t", SECRET: "s" }
      assert.deepStrictEqual(yield* envOf(host), { ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o" })
      assert.deepStrictEqual(yield* envOf({ ...host, TASKQ_ENV_ALLOW: "OPENAI_API_KEY" }), {
        OPENAI_API_KEY: "o"
      })
      assert.deepStrictEqual(yield* envOf({ ...host, TASKQ_ENV_ALLOW: "none" }), {})
      assert.deepStrictEqual(
        yield* envOf({ ...host, TASKQ_ENV_ALLOW: "MY_TOKEN", TASKQ_ENV_ALLOW_ADD: "ANTHROPIC_API_KEY" }),
        { MY_TOKEN: "t", ANTHROPIC_API_KEY: "a" }
      )
      const bad = yield* envOf({ TASKQ_ENV_ALLOW_ADD: "OK, not-a-name" }).pipe(Effect.flip)
      assert.include(bad.message, `"not-a-name"`)
    })
  )
})

describe("attempt secrets", () => {
  it("the env file is sourced by sh to exactly the values, whatever they contain", () => {
    const values = { A: "plain", B: 'it\'s $HOME `id` "q" \\ ;|&', C: "" }
    const dir = mkdtempSync(join(tmpdir(), "taskq-env-"))
    try {
      const file = join(dir, "e.env")
      execFileSync("sh", ["-c", `cat > ${file}`], { input: envFileText({ ...values, "BAD-NAME": "x" }) })
      const out = execFileSync("sh", ["-c", `set -a; . ${file}; set +a; printf '%s\\0' "$A" "$B" "$C"`], {
        encoding: "utf8",
        env: {}
      })
      assert.deepStrictEqual(out.split("\0").slice(0, 3), [values.A, values.B, values.C])
      assert.notInclude(readFileSync(file, "utf8"), "BAD-NAME")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
  it.effect("a fresh random password and the env file, both 0600; review reads the password back", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "taskq-secrets-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const a = yield* writeAttemptSecrets(dir, { ANTHROPIC_API_KEY: "sk-1" })
      assert.match(a.password, /^[A-Za-z0-9_-]{43}$/)
      for (const f of [a.envFile, join(dir, SERVER_PASSWORD_FILE)])
        assert.strictEqual(statSync(f).mode & 0o777, 0o600, f)
      assert.strictEqual(
        readFileSync(a.envFile, "utf8"),
        `ANTHROPIC_API_KEY='sk-1'\nOPENCODE_SERVER_PASSWORD='${a.password}'\n`
      )
      assert.strictEqual(yield* readServerPassword(dir), a.password)
      const b = yield* writeAttemptSecrets(dir, {})
      assert.notStrictEqual(b.password, a.password)
      assert.strictEqual(yield* readServerPassword(dir), b.password)
      const missing = yield* readServerPassword(join(dir, "nope")).pipe(Effect.flip)
      assert.include(missing.message, "cannot read the server password")
    }).pipe(Effect.provide(NodeServices.layer))
  )
})
