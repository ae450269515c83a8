// SPEC §5: the layers of src/ and who may import whom, checked by reading every import.
import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"

const SRC = resolve("src")
const allowed: Record<string, ReadonlyArray<string>> = {
  core: ["core"],
  support: ["core", "support"],
  store: ["core", "support", "store"],
  adapters: ["core", "support", "adapters"],
  pipeline: ["core", "support", "store", "adapters", "pipeline"],
  cli: ["core", "support", "store", "adapters", "pipeline", "cli"],
  "bin.ts": ["cli"]
}

const files = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : []
  })
const layerOf = (file: string) => relative(SRC, file).split("/")[0] ?? ""
const importsOf = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^"']*?from\s+["']([^"']+)["']/g)].map(
    (m) => m[1] ?? ""
  )

describe("layer dependency rules", () => {
  const all = files(SRC)
  it("every file of src/ is in a known layer", () => {
    for (const f of all) assert.property(allowed, layerOf(f), f)
  })
  it("lower layers never import higher ones", () => {
    const violations: Array<string> = []
    for (const f of all) {
      for (const spec of importsOf(f).filter((s) => s.startsWith("."))) {
        const target = layerOf(resolve(dirname(f), spec))
        if (!(allowed[layerOf(f)] ?? []).includes(target))
          violations.push(`${relative(SRC, f)} imports ${spec} (${target})`)
      }
    }
    assert.deepStrictEqual(violations, [])
  })
  it("only bin.ts runs the program", () => {
    const runners = all.filter((f) =>
      /\b(?:NodeRuntime\.runMain|Effect\.run(?:Promise|Sync|Fork|Callback)\w*)\b/.test(readFileSync(f, "utf8"))
    )
    assert.deepStrictEqual(
      runners.map((f) => relative(SRC, f)),
      ["bin.ts"]
    )
  })
  it("the rule checker sees imports (it would catch a violation)", () => {
    assert.isAbove(all.flatMap(importsOf).filter((s) => s.includes("../core/")).length, 5)
  })
})
