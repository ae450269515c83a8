// The box's settings, as pure functions: how a stop is described, what review hands to OpenChamber
// and the terminal UI (the box itself: test/adapters/containerBox.test.ts).
import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { describeStop, type ContainerState } from "../../src/adapters/Docker.js"
import { planReview } from "../../src/adapters/Review.js"
import { containerState } from "../helpers/runtimeMocks.js"

describe("how a container stopped", () => {
  const state = (over: Partial<ContainerState>) =>
    containerState({ running: false, status: "exited", exitCode: 137, ...over })
  it("an OOM kill says so, with the limit", () => {
    assert.strictEqual(
      describeStop(state({ oomKilled: true, memoryBytes: 64 * 1024 * 1024 })),
      "was killed for running out of memory (limit 64 MiB, exit 137; raise it with --memory-mb)"
    )
    assert.include(describeStop(state({ oomKilled: true })), "limit none")
    assert.strictEqual(describeStop(state({})), "stopped (exited, exit 137)")
  })
})

describe("review with a server password", () => {
  const target = {
    taskId: "T-1",
    container: "task-T-1-x",
    port: 40000,
    sessionId: "ses_1",
    status: "review",
    worktree: "/w",
    password: { value: "s3cret", file: "/a/server-password" }
  }
  it("OpenChamber gets it in its environment", () => {
    const plan = planReview(target, Option.some("/bin/openchamber"), {
      interactive: true,
      printOnly: false,
      uiPort: 3001
    })
    assert.strictEqual(plan._tag === "OpenChamber" && plan.env.OPENCODE_SERVER_PASSWORD, "s3cret")
  })
  it("the terminal UI gets it through docker's environment, never on a command line", () => {
    const plan = planReview(target, Option.none(), { interactive: true, printOnly: false, uiPort: 3001 })
    assert.strictEqual(plan._tag, "Attach")
    if (plan._tag !== "Attach") return
    assert.deepStrictEqual(plan.env, { OPENCODE_SERVER_PASSWORD: "s3cret" })
    assert.notInclude(plan.args.join(" "), "s3cret")
    assert.includeMembers([...plan.args], ["-e", "OPENCODE_SERVER_PASSWORD"])
    const printed = planReview(target, Option.none(), { interactive: false, printOnly: false, uiPort: 3001 })
    assert.strictEqual(printed._tag, "PrintOnly")
    if (printed._tag !== "PrintOnly") return
    assert.notInclude(printed.attachCommand, "s3cret")
    assert.include(printed.attachCommand, `OPENCODE_SERVER_PASSWORD="$(cat /a/server-password)" docker exec -it -e`)
  })
})
