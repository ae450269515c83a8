// Review's choice of how to open a session, with the terminal and the process spawner as narrow
// fakes (Layer.mock): nothing is spawned without a terminal; with one, the container's attach runs.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { ChildProcessSpawner } from "effect/process"
import { TestConsole } from "effect/testing"
import { Review, type ReviewTarget } from "../../src/adapters/Review.js"
import { TaskqConfig } from "../../src/support/config.js"
import { HostFacts } from "../../src/support/hostFacts.js"

const target: ReviewTarget = {
  taskId: "T-1",
  container: "task-T-1-x",
  port: 40123,
  sessionId: "ses_1",
  status: "review",
  worktree: "/q/worktrees/T-1"
}

const world = (interactive: boolean, spawner: Partial<ChildProcessSpawner.ChildProcessSpawner["Service"]>) =>
  Review.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        Layer.mock(HostFacts)({ terminal: Effect.succeed({ interactive, stderr: interactive }) }),
        Layer.mock(ChildProcessSpawner.ChildProcessSpawner)(spawner),
        TaskqConfig.layerTest(),
        TestConsole.layer
      )
    ),
    Layer.provideMerge(NodeServices.layer)
  )

describe("Review (narrow fakes)", () => {
  it.effect("without a terminal: prints the web UI and the attach command, spawns nothing", () =>
    Effect.gen(function* () {
      const plan = yield* (yield* Review).open(target)
      assert.strictEqual(plan._tag, "PrintOnly")
      const out = (yield* TestConsole.logLines).join("\n")
      assert.include(out, "http://127.0.0.1:40123/")
      assert.include(out, "docker exec -it task-T-1-x opencode attach http://127.0.0.1:4096 --dir /q/worktrees/T-1")
    }).pipe(Effect.provide(world(false, {})))
  )

  it.effect("at a terminal: runs the container's attach on the session", () =>
    Effect.gen(function* () {
      const spawned = yield* Deferred.make<ReadonlyArray<string>>()
      yield* Effect.gen(function* () {
        const fiber = yield* Effect.forkChild((yield* Review).open(target))
        const args = yield* Deferred.await(spawned)
        assert.deepStrictEqual(args.slice(0, 4), ["exec", "-it", "task-T-1-x", "opencode"])
        assert.includeMembers([...args], ["--session", "ses_1"])
        yield* Fiber.interrupt(fiber)
      }).pipe(
        Effect.provide(
          world(true, {
            spawn: (command) =>
              Deferred.succeed(spawned, command._tag === "StandardCommand" ? command.args.map(String) : []).pipe(
                Effect.andThen(Effect.never)
              )
          })
        )
      )
    })
  )
})
