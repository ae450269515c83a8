import { assert, describe, it } from "@effect/vitest"
import { printable } from "../../src/support/printable.js"

describe("printable", () => {
  it("shows the agent's escape sequences instead of sending them to the terminal", () => {
    const osc52 = "\u001b]52;c;ZXZpbA==\u0007done"
    assert.strictEqual(printable(osc52), "\u241b]52;c;ZXZpbA==\u2407done")
    assert.strictEqual(printable("a\rb\u009bc\u007f"), "a\u240db\ufffdc\ufffd")
    assert.strictEqual(printable("tab\tand text é ✓"), "tab\tand text é ✓")
  })
})
