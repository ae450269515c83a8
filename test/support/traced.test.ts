import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { traced } from "../../src/support/traced.js"

describe("traced", () => {
  it.effect("each Effect member and each method's Effect runs in a span named Service.member", () =>
    Effect.gen(function* () {
      const impl = traced("Svc", {
        name: "plain value",
        current: Effect.map(Effect.currentSpan, (s) => s.name),
        method: (x: number) => Effect.map(Effect.currentSpan, (s) => `${s.name}:${x}`)
      })
      assert.strictEqual(impl.name, "plain value")
      assert.strictEqual(yield* impl.current, "Svc.current")
      assert.strictEqual(yield* impl.method(2), "Svc.method:2")
    })
  )
})
