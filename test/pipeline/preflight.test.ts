// Which agent setups have a model they can call: the rules of the credential check, alone.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { checkCredentials, credentialSources, type CredentialSources } from "../../src/pipeline/preflight.js"
import { TaskqConfig } from "../../src/support/config.js"
import { QueuePaths } from "../../src/support/paths.js"
import { tempDir } from "../helpers/fixtures.js"

const sources = (over: Partial<CredentialSources>): CredentialSources => ({
  config: {},
  configFile: "queue/opencode.json",
  env: {},
  authProviders: [],
  ...over
})
const provider = (options: Record<string, string>) => ({ mock: { npm: "@ai-sdk/openai-compatible", options } })

describe("checkCredentials", () => {
  it("nothing configured and no key anywhere: no model, saying where to set one", () => {
    const r = checkCredentials(sources({}))
    assert.strictEqual(r._tag, "Missing")
    if (r._tag === "Missing") {
      assert.include(r.reason, "no model configured")
      assert.include(r.reason, "queue/opencode.json")
    }
  })

  it("a model whose provider has an apiKey in the config", () => {
    const r = checkCredentials(sources({ config: { model: "mock/m", provider: provider({ apiKey: "k" }) } }))
    assert.deepInclude(r, { _tag: "Ok", model: "mock/m", provider: "mock" })
  })

  it("a model whose provider's key is an allow-listed environment variable", () => {
    const r = checkCredentials(sources({ config: { model: "anthropic/claude" }, env: { ANTHROPIC_API_KEY: "x" } }))
    assert.deepInclude(r, { _tag: "Ok", provider: "anthropic", via: "$ANTHROPIC_API_KEY" })
  })

  it("a model whose provider has a login in auth.json", () => {
    const r = checkCredentials(sources({ config: { model: "openai/gpt" }, authProviders: ["openai"] }))
    assert.deepInclude(r, { _tag: "Ok", provider: "openai" })
  })

  it("a model whose provider has no key: names the model, the provider and the ways to give one", () => {
    const r = checkCredentials(sources({ config: { model: "anthropic/claude" }, env: { OPENAI_API_KEY: "x" } }))
    assert.strictEqual(r._tag, "Missing")
    if (r._tag === "Missing") {
      assert.include(r.reason, "anthropic/claude")
      assert.include(r.reason, "ANTHROPIC_API_KEY")
    }
  })

  it("an apiKey of the form {env:NAME} counts only when NAME reaches the agent", () => {
    const config = { model: "mock/m", provider: provider({ apiKey: "{env:MY_KEY}" }) }
    assert.strictEqual(checkCredentials(sources({ config }))._tag, "Missing")
    assert.strictEqual(checkCredentials(sources({ config, env: { MY_KEY: "k" } }))._tag, "Ok")
  })

  it("no model but one provider with a key: OpenCode picks that provider's default", () => {
    const r = checkCredentials(sources({ env: { OPENROUTER_API_KEY: "x" } }))
    assert.deepInclude(r, { _tag: "Ok", model: undefined, provider: "openrouter" })
  })

  it("a model that is not provider/model", () => {
    const r = checkCredentials(sources({ config: { model: "claude" }, env: { ANTHROPIC_API_KEY: "x" } }))
    assert.strictEqual(r._tag, "Missing")
  })
})

describe("credentialSources: what the agent of an attempt would see", () => {
  const setup = () => {
    const home = tempDir()
    const queue = join(home, "queue")
    mkdirSync(join(home, ".config", "opencode"), { recursive: true })
    mkdirSync(join(home, ".local", "share", "opencode"), { recursive: true })
    mkdirSync(queue)
    writeFileSync(join(home, ".config", "opencode", "opencode.json"), JSON.stringify({ model: "anthropic/claude" }))
    writeFileSync(
      join(home, ".local", "share", "opencode", "auth.json"),
      JSON.stringify({ anthropic: { type: "api" } })
    )
    return { home, queue }
  }
  const sourcesWith = (home: string, queue: string, options: { hostConfig?: boolean; hostAuth?: boolean }) =>
    credentialSources(options).pipe(
      Effect.provide(
        QueuePaths.layer(queue).pipe(
          Layer.provideMerge(TaskqConfig.layerTest()),
          Layer.provideMerge(NodeServices.layer),
          Layer.provideMerge(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { HOME: home } })))
        )
      )
    )

  it.live("the host's config and login count, unless turned off", () =>
    Effect.gen(function* () {
      const { home, queue } = setup()
      const all = yield* sourcesWith(home, queue, {})
      assert.deepInclude(checkCredentials(all), { _tag: "Ok", model: "anthropic/claude", provider: "anthropic" })
      const noAuth = yield* sourcesWith(home, queue, { hostAuth: false })
      assert.strictEqual(checkCredentials(noAuth)._tag, "Missing")
      const noConfig = yield* sourcesWith(home, queue, { hostConfig: false })
      assert.deepInclude(checkCredentials(noConfig), { _tag: "Ok", model: undefined, provider: "anthropic" })
    })
  )

  it.live("queue/opencode.json wins over the host's config", () =>
    Effect.gen(function* () {
      const { home, queue } = setup()
      writeFileSync(join(queue, "opencode.json"), JSON.stringify({ model: "openai/gpt" }))
      const r = checkCredentials(yield* sourcesWith(home, queue, {}))
      assert.strictEqual(r._tag, "Missing")
      if (r._tag === "Missing") assert.include(r.reason, "openai/gpt")
    })
  )
})
