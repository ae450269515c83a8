// build-image from an installed package: the base image's recipe ships with taskq, and a missing
// base image is one message that says exactly what to run.
import { assert, describe, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"
import { DEFAULT_BASE_IMAGE } from "../../src/core/constants.js"
import { baseImageHelp, missingBase } from "../../src/pipeline/buildImage.js"

describe("a missing base image", () => {
  it("is recognised from the engine's answer, and the help names the shipped recipe", () => {
    const denied = `pull access denied for local/debian, repository does not exist or may require 'docker login'`
    assert.isTrue(missingBase(DEFAULT_BASE_IMAGE, denied))
    assert.isFalse(missingBase(DEFAULT_BASE_IMAGE, "COPY failed: file not found in build context"))
    assert.isFalse(missingBase("debian:bookworm-slim", denied))
    const help = baseImageHelp(DEFAULT_BASE_IMAGE, "/usr/lib/node_modules/taskq/scripts/build-base-image.sh")
    assert.include(help, "`bash /usr/lib/node_modules/taskq/scripts/build-base-image.sh`")
    assert.include(help, "`taskq build-image --no-pull`")
  })

  it("the recipe is in the npm package's files", () => {
    const pkg: { files: Array<string> } = JSON.parse(readFileSync("package.json", "utf8"))
    assert.include(pkg.files, "scripts/build-base-image.sh")
    assert.isTrue(existsSync("scripts/build-base-image.sh"))
  })
})
