// TaskqConfig: flag > environment > queue/taskq.json > default, and a bad value anywhere is a one-line error.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describeConfig, resolveConfig, settings, TaskqConfig } from "../../src/support/config.js"
import { runTaskq, tempDir } from "../helpers/fixtures.js"

const withEnv = (env: Record<string, string>) =>
  Layer.merge(ConfigProvider.layer(ConfigProvider.fromEnv({ env })), NodeServices.layer)

const queueWith = (json: unknown) => {
  const queue = tempDir()
  if (json !== undefined) writeFileSync(join(queue, "taskq.json"), JSON.stringify(json))
  return queue
}

describe("TaskqConfig", () => {
  it.effect("flag beats env beats taskq.json beats the default, and says which won", () =>
    Effect.gen(function* () {
      const queue = queueWith({ "max-parallel": 3, image: "from-file", timeout: 7, "cleanup-on-fail": true })
      const c = yield* resolveConfig({
        flags: { queueDir: Option.some(queue), maxParallel: Option.some(5), cleanupOnFail: Option.some(false) }
      }).pipe(Effect.provide(withEnv({ TASKQ_MAX_PARALLEL: "4", TASKQ_TIMEOUT: "9", TASKQ_CPUS: "1.5" })))
      assert.deepInclude(c.values, {
        maxParallel: 5,
        timeout: 9,
        image: "from-file",
        cleanupOnFail: false,
        cpus: 1.5,
        idleTimeout: 600,
        memoryMb: 4096
      })
      assert.deepInclude(c.origins, {
        maxParallel: "flag",
        timeout: "env",
        image: "file",
        cleanupOnFail: "flag",
        cpus: "env",
        idleTimeout: "default"
      })
      assert.strictEqual(c.file, join(queue, "taskq.json"))
    })
  )

  it.effect("no taskq.json is fine: env and defaults", () =>
    Effect.gen(function* () {
      const c = yield* resolveConfig({ flags: { queueDir: Option.some(join(tempDir(), "not-yet")) } }).pipe(
        Effect.provide(withEnv({ DOCKER_HOST: "unix:///tmp/d.sock", TASKQ_ON_ASK: "fail" }))
      )
      assert.deepInclude(c.values, { dockerHost: "unix:///tmp/d.sock", onAsk: "fail", lockStaleMs: 10_000 })
      assert.isUndefined(c.file)
    })
  )

  it.effect("TASKQ_QUEUE_DIR picks the queue whose taskq.json is read", () =>
    Effect.gen(function* () {
      const queue = queueWith({ "idle-timeout": 42 })
      const c = yield* resolveConfig({}).pipe(Effect.provide(withEnv({ TASKQ_QUEUE_DIR: queue })))
      assert.deepInclude(c.values, { queueDir: queue, idleTimeout: 42 })
      assert.deepInclude(c.origins, { queueDir: "env", idleTimeout: "file" })
    })
  )

  it.effect.each([
    [{ TASKQ_LOCK_STALE_MS: "abc" }, undefined, 'TASKQ_LOCK_STALE_MS="abc": expected an integer >= 2000'],
    [{ TASKQ_LOCK_STALE_MS: "500" }, undefined, 'TASKQ_LOCK_STALE_MS="500": expected an integer >= 2000'],
    [{ TASKQ_MAX_PARALLEL: "0" }, undefined, "TASKQ_MAX_PARALLEL"],
    [{ TASKQ_CPUS: "-1" }, undefined, "expected a number > 0"],
    [{ TASKQ_FOLLOW: "yes" }, undefined, "expected off, agent or raw"],
    [{ TASKQ_ON_ASK: "maybe" }, undefined, "expected one of deny, fail, allow"],
    [{ DOCKER_HOST: "tcp://10.0.0.1:2375" }, undefined, "expected a unix socket URL"],
    [{}, { "max-parallel": "3" }, 'taskq.json: "max-parallel": "3" is not an integer >= 1'],
    [{}, { "max-paralel": 3, colour: "red" }, "unknown keys max-paralel, colour (known: max-parallel,"],
    [{}, ["max-parallel"], "expected a JSON object"]
  ] as const)("refuses %j / taskq.json %j", ([env, file, expected]) =>
    Effect.gen(function* () {
      const queue = queueWith(file)
      const e = yield* resolveConfig({ flags: { queueDir: Option.some(queue) } }).pipe(
        Effect.provide(withEnv(env)),
        Effect.flip
      )
      assert.strictEqual(e._tag, "ConfigInvalid")
      assert.include(e.message, expected)
      assert.notInclude(e.message, "\n")
    })
  )

  it.effect("a flag out of range is refused like the env's value", () =>
    Effect.gen(function* () {
      const e = yield* resolveConfig({ flags: { timeout: Option.some(0) }, readQueueFile: false }).pipe(
        Effect.provide(withEnv({})),
        Effect.flip
      )
      assert.strictEqual(e.message, "bad setting: --timeout: 0 is not an integer >= 1")
    })
  )

  it.effect("taskq config never shows a queue URL's password", () =>
    Effect.gen(function* () {
      const c = yield* resolveConfig({ readQueueFile: false }).pipe(
        Effect.provide(withEnv({ TASKQ_QUEUE_URL: "postgres://taskq:s3cret@db:5432/q" }))
      )
      assert.strictEqual(c.values.queueUrl, "postgres://taskq:s3cret@db:5432/q")
      const shown = describeConfig(c).find((r) => r.name === "queueUrl")
      assert.deepInclude(shown, { value: "postgres://taskq:***@db:5432/q", origin: "env" })
    })
  )

  it.effect("layerTest: defaults plus overrides, reading nothing", () =>
    Effect.gen(function* () {
      const c = yield* TaskqConfig
      assert.strictEqual(c.values.maxParallel, 2)
      assert.strictEqual(c.values.image, settings.image.default)
      assert.strictEqual(describeConfig(c).find((r) => r.name === "maxParallel")?.origin, "flag")
    }).pipe(Effect.provide(TaskqConfig.layerTest({ maxParallel: 2 })))
  )
})

describe("taskq config and bad settings, as a child process", () => {
  const live = (name: string, f: () => Promise<void>) => it.live(name, () => Effect.promise(f))

  live("TASKQ_LOCK_STALE_MS=abc is one stderr line and exit 1, for any queue command", async () => {
    const queue = tempDir()
    for (const args of [["status"], ["config"], ["run"]]) {
      const r = await runTaskq([...args, "--queue-dir", queue], { env: { TASKQ_LOCK_STALE_MS: "abc" } })
      assert.deepInclude(
        r,
        { code: 1, stdout: "", stderr: 'taskq: bad setting: TASKQ_LOCK_STALE_MS="abc": expected an integer >= 2000\n' },
        args.join(" ")
      )
    }
  })

  live("a queue dir that is a file: one line saying so, not the file system's internals", async () => {
    const file = join(tempDir(), "not-a-dir")
    writeFileSync(file, "x")
    const r = await runTaskq(["status", "--queue-dir", file])
    assert.deepStrictEqual(
      [r.code, r.stdout, r.stderr],
      [
        1,
        "",
        `taskq: bad setting: ${file}/taskq.json: cannot be read: the queue dir is not a directory, or this is not a file\n`
      ]
    )
  })

  live("taskq config --json shows each value's origin", async () => {
    const queue = queueWith({ "max-parallel": 3, image: "img:file" })
    const r = await runTaskq(["config", "--json", "--queue-dir", queue, "--image", "img:flag"], {
      env: { TASKQ_MAX_PARALLEL: "4" }
    })
    assert.strictEqual(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as {
      file: string
      settings: ReadonlyArray<{ name: string; value: unknown; origin: string }>
    }
    const byName = Object.fromEntries(out.settings.map((s) => [s.name, [s.value, s.origin]]))
    assert.strictEqual(out.file, join(queue, "taskq.json"))
    assert.deepInclude(byName, {
      maxParallel: [4, "env"],
      image: ["img:flag", "flag"],
      timeout: [3600, "default"]
    })
    const table = await runTaskq(["config", "--queue-dir", queue])
    assert.match(table.stdout, /^maxParallel\s+3\s+file\s+--max-parallel, TASKQ_MAX_PARALLEL/m)
  })
})
