// Which tasks count as orphaned: the runner's host and pid against this host's facts (a Layer.mock).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { isOrphaned, localRunnerPid } from "../../src/pipeline/recover.js"
import { HostFacts } from "../../src/support/hostFacts.js"
import { sampleRecord } from "../helpers/layers.js"

const task = (patch: object) => sampleRecord("T-1", "/q", { status: "in_progress", ...patch })

describe("localRunnerPid (pure)", () => {
  it("the pid of a runner of this host other than this process", () => {
    assert.deepStrictEqual(localRunnerPid(task({ runner: "box:42" }), "box", 7), Option.some(42))
    assert.isTrue(Option.isNone(localRunnerPid(task({ runner: "box:7" }), "box", 7)), "this process")
    assert.isTrue(Option.isNone(localRunnerPid(task({ runner: "elsewhere:42" }), "box", 7)))
    assert.isTrue(Option.isNone(localRunnerPid(task({}), "box", 7)))
    assert.isTrue(Option.isNone(localRunnerPid(task({ runner: "garbage" }), "box", 7)))
    assert.isTrue(Option.isNone(localRunnerPid(task({ runner: "box:-3" }), "box", 7)))
    assert.isTrue(
      Option.isNone(localRunnerPid(sampleRecord("T-1", "/q", { status: "review", runner: "box:42" }), "box", 7))
    )
  })
})

describe("isOrphaned", () => {
  const host = (alive: ReadonlyArray<number>) =>
    Layer.mock(HostFacts)({
      runner: Effect.succeed({ hostname: "box", pid: 7, id: "box:7" }),
      isAlive: (pid) => Effect.succeed(alive.includes(pid))
    })

  it.effect("a task of a dead runner on this host is orphaned; a live one is not", () =>
    Effect.gen(function* () {
      assert.isTrue(yield* isOrphaned(task({ runner: "box:42" })))
      assert.isFalse(yield* isOrphaned(task({ runner: "box:1" })), "pid 1 is alive")
      assert.isFalse(yield* isOrphaned(task({ runner: "elsewhere:42" })), "another host's runner is not asked about")
    }).pipe(Effect.provide(host([1])))
  )
})
