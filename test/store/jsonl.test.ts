// Reading tasks.jsonl: the whole-file fast path takes exactly what the line-by-line decode takes, so a
// line that is not JSON on its own is reported by number even when the lines joined would parse.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { decodeTasks } from "../../src/store/jsonl.js"
import { sampleRecord } from "../helpers/layers.js"

const line = (id: string, patch: object = {}) => JSON.stringify({ ...sampleRecord(id, "/q"), ...patch })
/** The decode's error message, or "ok" with the ids it read. */
const read = (text: string) =>
  Effect.runSync(
    Effect.exit(decodeTasks("/q/tasks.jsonl", text)).pipe(
      Effect.map((exit) =>
        Exit.isSuccess(exit)
          ? `ok ${exit.value.map((r) => r.id).join(",")}`
          : String(Exit.isFailure(exit) && exit.cause)
      )
    )
  )

describe("tasks.jsonl decoding", () => {
  it("reads a file of records, blank lines and CRLF included", () => {
    assert.strictEqual(read(`${line("A")}\n\n${line("B")}\r\n${line("C")}\n`), "ok A,B,C")
  })

  it("a line that only parses joined to the next is refused at its number", () => {
    // `{"}` opens a string that the joining comma would carry into the next line
    const a = line("A")
    const stringSpan = `{"}\n{":1,${a.slice(1)}\n${line("B")},${line("C")}\n`
    assert.include(read(stringSpan), "tasks.jsonl:1:")
    // a record cut inside its steps, the rest and another record on the next line
    const steps = line("A", { steps: [{ agent: "plan" }, { agent: "build", prompt: "go" }] })
    const cutAt = steps.indexOf('{"agent":"build"')
    const depthSpan = `${steps.slice(0, cutAt)}\n${steps.slice(cutAt)},${line("B")}\n`
    assert.include(read(depthSpan), "tasks.jsonl:1:")
  })

  it("a line the JSON grammar refuses (a byte-order mark before it) is refused, as line by line", () => {
    assert.include(read(`${line("A")}\n\uFEFF${line("B")}\n`), "tasks.jsonl:2:")
  })
})
