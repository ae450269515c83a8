import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { isOrphaned, runnerId } from "../../src/pipeline/recover.js"
import { sampleRecord } from "../helpers/layers.js"

// a pid that certainly exited: a child that has run and been reaped
const deadPid = spawnSync("true").pid ?? 999999

describe("orphaned tasks", () => {
  const task = (patch: object) => sampleRecord("T-1", "/q", { status: "in_progress", ...patch })
  it("a task of a dead runner on this host is orphaned", () => {
    assert.isTrue(isOrphaned(task({ runner: `${hostname()}:${deadPid}` })))
  })
  it("a live runner, another host's runner, a task without runner, or a task not in progress is not", () => {
    assert.isFalse(isOrphaned(task({ runner: runnerId() })))
    assert.isFalse(isOrphaned(task({ runner: `${hostname()}:1` })), "pid 1 is alive")
    assert.isFalse(isOrphaned(task({ runner: `elsewhere:${deadPid}` })))
    assert.isFalse(isOrphaned(task({})))
    assert.isFalse(isOrphaned(sampleRecord("T-1", "/q", { status: "review", runner: `${hostname()}:${deadPid}` })))
    assert.isFalse(isOrphaned(task({ runner: "garbage" })))
  })
})
