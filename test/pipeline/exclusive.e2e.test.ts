// Exclusive actions on one task, for real: `cleanup --id X` racing `retry X && run --id X`, as three
// real taskq processes, again and again. Every round must end in one clean outcome: the new attempt
// is a whole review (worktree, agent state, live container, the agent's file) whoever won the race.
import { assert, describe, it } from "vitest"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { scripted } from "../helpers/agentRuntime.js"
import { git } from "../helpers/fixtures.js"
import { containersOf, isRunning, uid, useRealRuntime } from "../helpers/e2e.js"

const { fresh } = useRealRuntime()

const ROUNDS = 4

describe("exclusive actions on one task", () => {
  it(`cleanup --id X racing retry X && run --id X: ${ROUNDS} rounds, each one clean outcome`, async () => {
    const s = fresh()
    const id = uid("race")
    const task = scripted("Write out.txt", [
      { tool: "write", args: { filePath: "out.txt", content: "ok\n" } },
      { text: "Wrote out.txt." }
    ])
    assert.strictEqual((await s.add(id, task)).code, 0)
    const first = await s.taskq("run", "--id", id)
    assert.strictEqual(first.code, 0, first.stderr)
    const outcomes: Array<string> = []
    for (let round = 1; round <= ROUNDS; round++) {
      // a failed task with its worktree, agent state and container, as a rejected review leaves it
      assert.strictEqual((await s.taskq("reject", "--id", id)).code, 0)
      const attempt = s.record(id).attempt
      const [cleanup, rerun] = await Promise.all([
        s.taskq("cleanup", "--id", id),
        (async () => {
          // alternate who is first: at once, or while the cleanup is busy removing things
          await new Promise((r) => setTimeout(r, round % 2 === 0 ? 1200 : 0))
          const retry = await s.taskq("retry", "--id", id)
          return retry.code === 0 ? await s.taskq("run", "--id", id) : retry
        })()
      ])
      const where = `round ${round}: cleanup ${cleanup.code} ${cleanup.stderr.trim()} | run ${rerun.code} ${rerun.stdout.trim()} ${rerun.stderr.trim()}`
      assert.strictEqual(rerun.code, 0, where)
      // cleanup either went first (and the retry waited) or found the task moved on and refused
      if (cleanup.code !== 0) assert.match(cleanup.stderr, /is (todo|in_progress|review)/, where)
      outcomes.push(cleanup.code === 0 ? "cleanup first" : "retry first")
      const r = s.record(id)
      assert.deepInclude(r, { status: "review", attempt: attempt + 1 }, where)
      const wt = r.worktree_path as string
      assert.strictEqual(readFileSync(join(wt, "out.txt"), "utf8"), "ok\n", where)
      assert.strictEqual(git(wt, "rev-parse", "--abbrev-ref", "HEAD"), `taskq/${id}`, where)
      assert.isTrue(existsSync(r.opencode_config_dir as string), where)
      assert.isTrue(existsSync(join(r.opencode_data_dir as string)), where)
      assert.isFalse(isRunning(r.container as string), where) // stopped until someone reviews it
      assert.include(containersOf(id), r.container as string, where)
    }
    console.log(`race outcomes: ${outcomes.join(", ")}`)
  }, 300_000)
})
