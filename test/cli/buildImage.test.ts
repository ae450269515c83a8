// `taskq build-image` against the real engine, offline, on the locally imported base.
import { assert, describe, it } from "vitest"
import { execFileSync } from "node:child_process"
import { OPENCODE_VERSION } from "../../src/core/constants.js"
import { runTaskq } from "../helpers/fixtures.js"

describe("taskq build-image", () => {
  it("builds the worker image with --no-pull, streaming progress on stderr; OpenCode inside at the pinned version", async () => {
    const tag = `taskq-test/worker:${Math.random().toString(36).slice(2, 8)}`
    try {
      const r = await runTaskq(["build-image", "--no-pull", "--tag", tag])
      assert.strictEqual(r.code, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`^built ${tag} in [\\d.]+ s\\n$`))
      assert.match(r.stderr, /Step \d+\/\d+ : FROM \$\{BASE_IMAGE\}/)
      assert.include(r.stderr, `opencode-linux-x64-${OPENCODE_VERSION}.tgz`)
      const version = execFileSync(
        "docker",
        ["run", "--rm", "--user", "1000:1000", "--entrypoint", "opencode", tag, "--version"],
        { encoding: "utf8" }
      ).trim()
      assert.strictEqual(version, OPENCODE_VERSION)
      const tools = execFileSync(
        "docker",
        [
          "run",
          "--rm",
          "--entrypoint",
          "sh",
          tag,
          "-c",
          "command -v git; command -v rg; echo $OPENCODE_DISABLE_AUTOUPDATE $OPENCODE_DISABLE_MODELS_FETCH $HOME"
        ],
        { encoding: "utf8" }
      )
      assert.include(tools, "/usr/bin/git")
      assert.include(tools, "/usr/bin/rg")
      assert.include(tools, "1 1 /home/agent")
    } finally {
      execFileSync("docker", ["rmi", "-f", tag], { stdio: "ignore" })
    }
  }, 300_000)

  it("says so in one line when the engine is not reachable", async () => {
    const r = await runTaskq(["build-image", "--no-pull"], { env: { DOCKER_HOST: "unix:///nonexistent.sock" } })
    assert.strictEqual(r.code, 1)
    assert.strictEqual(
      r.stderr,
      "taskq: Docker engine not reachable at unix:///nonexistent.sock: connect ENOENT /nonexistent.sock\n"
    )
  })
})
