// Watching a container through engine blips: the retry schedule on the TestClock, with a fake engine.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Ref } from "effect"
import { TestClock } from "effect/testing"
import { Docker, DockerUnavailable } from "../../src/adapters/Docker.js"
import { watchContainer } from "../../src/pipeline/watch.js"
import { containerState } from "../helpers/runtimeMocks.js"

const running = Option.some(containerState())
type State = typeof running
const blip = new DockerUnavailable({ endpoint: "unix:///var/run/docker.sock", reason: "connect ECONNREFUSED" })

/** An engine whose inspect answers `answer(n)` on its n-th call (from 0). */
const engine = (calls: Ref.Ref<number>, answer: (n: number) => "blip" | State | Option.Option<never>) =>
  Layer.mock(Docker)({
    endpoint: "test",
    tail: () => Effect.succeed(""),
    inspect: () =>
      Ref.getAndUpdate(calls, (n) => n + 1).pipe(
        Effect.flatMap((n) => {
          const a = answer(n)
          return a === "blip" ? Effect.fail(blip) : Effect.succeed(a)
        })
      )
  })

const watchFor = (answer: (n: number) => "blip" | State | Option.Option<never>) =>
  Effect.gen(function* () {
    const calls = yield* Ref.make(0)
    const fiber = yield* watchContainer("c").pipe(Effect.provide(engine(calls, answer)), Effect.forkChild)
    return { calls, fiber }
  })

const advance = (seconds: number) =>
  Effect.forEach(Array.from({ length: seconds * 4 }), () => TestClock.adjust("250 millis"), { discard: true })

describe("watchContainer", () => {
  it.effect("an engine that fails for 10 s and comes back: the container is still watched, not declared gone", () =>
    Effect.gen(function* () {
      // the first call answers, then 10 s of refused connections, then the engine is back
      let blipUntil = -1
      const { calls, fiber } = yield* watchFor((n) => (n === 0 ? running : n <= blipUntil ? "blip" : running))
      yield* advance(2)
      blipUntil = (yield* Ref.get(calls)) + 8 // 8 failed calls: 0.25+0.5+1+2+2+2+2 s of backoff
      yield* advance(12)
      yield* advance(5)
      assert.isUndefined(fiber.pollUnsafe(), "still watching")
      assert.isAbove(yield* Ref.get(calls), blipUntil)
      yield* Fiber.interrupt(fiber)
    })
  )

  it.effect("an engine silent for longer than 15 s: the watch fails with the engine's own error", () =>
    Effect.gen(function* () {
      const { fiber } = yield* watchFor((n) => (n === 0 ? running : "blip"))
      yield* advance(14)
      assert.isUndefined(fiber.pollUnsafe(), "still patient at 14 s")
      yield* advance(6)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "ECONNREFUSED")
    })
  )

  it.effect("a container the engine says is gone (404) is reported at once, without waiting", () =>
    Effect.gen(function* () {
      const { fiber } = yield* watchFor((n) => (n === 0 ? running : Option.none()))
      yield* advance(2)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "disappeared")
    })
  )
})
