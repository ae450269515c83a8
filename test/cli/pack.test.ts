// `npm pack` yields a tarball that `npm install -g` turns into a working `taskq`.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { makeRepo, tempDir } from "../helpers/fixtures.js"

describe("npm package", () => {
  it.live(
    "packs, installs globally, and runs",
    () =>
      Effect.sync(() => {
        const out = tempDir("taskq-pack-")
        const tarball =
          execFileSync("npm", ["pack", "--silent", "--pack-destination", out], { encoding: "utf8" })
            .trim()
            .split("\n")
            .pop() ?? ""
        const prefix = tempDir("taskq-global-")
        execFileSync(
          "npm",
          ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", join(out, tarball)],
          { stdio: "ignore" }
        )
        const bin = join(prefix, "bin", "taskq")
        assert.include(execFileSync(bin, ["--version"], { encoding: "utf8" }), "0.1.0")
        const queue = join(tempDir(), "queue")
        execFileSync(bin, ["add", "--id", "P-1", "--repo", makeRepo(), "--task", "x", "--queue-dir", queue])
        assert.match(execFileSync(bin, ["status", "--queue-dir", queue], { encoding: "utf8" }), /P-1\s+todo/)
      }),
    180_000
  )
})
