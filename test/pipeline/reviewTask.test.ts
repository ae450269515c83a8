// `revive` for review, with fake Docker and OpenCode over a real queue folder.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { Docker, type ContainerState } from "../../src/adapters/Docker.js"
import { OpenCode } from "../../src/adapters/OpenCode.js"
import { revive } from "../../src/pipeline/reviewTask.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { sampleRecord, storeAt } from "../helpers/layers.js"
import { tempDir } from "../helpers/fixtures.js"
import { containerState } from "../helpers/runtimeMocks.js"

const stopped = (name: string) => containerState({ name, running: false, status: "exited" })

/** A task in review whose container `c-1` is in `state`. */
const world = (
  state: Option.Option<ContainerState>,
  opencode: Partial<OpenCode["Service"]> = {},
  status: "review" | "todo" = "review"
) => {
  const root = tempDir("taskq-review-")
  const attemptDir = join(root, "opencode", "T-1", "attempt-1")
  mkdirSync(join(attemptDir, "config"), { recursive: true })
  mkdirSync(join(attemptDir, "data"), { recursive: true })
  const calls: Array<string> = []
  const layer = Layer.mergeAll(
    Layer.mock(Docker)({
      endpoint: "test",
      inspect: () => Effect.succeed(state),
      restart: (name) => Effect.sync(() => (calls.push(`restart ${name}`), 40001))
    }),
    Layer.mock(OpenCode)({
      waitReady: () => Effect.succeed("test"),
      hasSession: () => Effect.succeed(true),
      ...opencode
    })
  ).pipe(Layer.provideMerge(storeAt(root)))
  const seed = Effect.gen(function* () {
    const tasks = yield* TaskRepository
    yield* tasks.add({ record: sampleRecord("T-1", root), prompt: "x\n" })
    if (status === "review") {
      yield* tasks.transition("T-1", "run", {})
      yield* tasks.transition("T-1", "ok", {})
    }
    yield* tasks.updateRuntime("T-1", {
      container: "c-1",
      port: 40000,
      session_id: "ses_1",
      opencode_attempt_dir: attemptDir,
      opencode_config_dir: join(attemptDir, "config"),
      opencode_data_dir: join(attemptDir, "data")
    })
  })
  return { root, calls, layer, seed }
}

describe("revive for review", () => {
  it.live("starts a stopped container again, records its new port, waits for the server, checks the session", () => {
    const w = world(Option.some(stopped("c-1")))
    return Effect.gen(function* () {
      yield* w.seed
      const live = yield* revive("T-1", "1 second")
      assert.isTrue(live.restarted)
      assert.strictEqual(live.port, 40001)
      assert.deepStrictEqual(w.calls, ["restart c-1"])
      assert.strictEqual((yield* (yield* TaskRepository).get("T-1")).port, 40001)
      rmSync(w.root, { recursive: true, force: true })
    }).pipe(Effect.provide(w.layer))
  })
  it.live("refuses a task that is not in review, a gone container, a missing session, naming the task", () =>
    Effect.gen(function* () {
      const cases = [
        [world(Option.some(stopped("c-1")), {}, "todo"), "cannot review T-1: it is todo, not review"],
        [world(Option.none()), "container c-1 is gone (taskq retry --id T-1"],
        [
          world(Option.some(stopped("c-1")), { hasSession: () => Effect.succeed(false) }),
          "session ses_1 is not on the server of c-1"
        ]
      ] as const
      for (const [w, message] of cases) {
        const e = yield* Effect.flip(Effect.andThen(w.seed, revive("T-1", "1 second"))).pipe(Effect.provide(w.layer))
        assert.include(e.message, message)
        rmSync(w.root, { recursive: true, force: true })
      }
    })
  )
})
