// bin.ts loads only the subcommand argv names (src/cli/entry.ts): every command must still be reachable,
// help must still list them all, and a bare --version must load none.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { commandNames } from "../../src/cli/entry.js"
import { subcommands } from "../../src/cli/taskq.js"
import { runTaskq, tempDir } from "../helpers/fixtures.js"

const live = (name: string, f: () => Promise<void>) => it.live(name, () => Effect.promise(f))
const commands = ["add", "status", "run", "review", "done", "reject", "retry", "cancel", "cleanup", "remove"]
const more = ["build-image", "db", "config"]

describe("lazy subcommands", () => {
  it("entry.ts can load exactly the subcommands of taskq.ts (add a new command to both)", () => {
    assert.sameMembers(
      [...commandNames],
      subcommands.map((c) => c.name)
    )
  })

  live("taskq --help lists every subcommand", async () => {
    const r = await runTaskq(["--help"])
    assert.strictEqual(r.code, 0, r.stderr)
    for (const c of [...commands, ...more]) assert.match(r.stdout, new RegExp(`^\\s+${c}\\b`, "m"), c)
  })

  live("each subcommand loads and parses its own flags (its --help)", async () => {
    for (const c of [...commands, ...more]) {
      const r = await runTaskq([c, "--help"], { cwd: tempDir() })
      assert.strictEqual(r.code, 0, `${c}: ${r.stderr}`)
      assert.include(r.stdout, `taskq ${c}`, c)
    }
  })

  live("the global --queue-url flag still works before or after the command name", async () => {
    for (const args of [
      ["--queue-url", "mysql://x", "status"],
      ["status", "--queue-url", "mysql://x"]
    ]) {
      const r = await runTaskq(args, { cwd: tempDir() })
      assert.deepInclude(r, {
        code: 1,
        stderr: 'taskq: bad setting: --queue-url: "mysql://x" is not a postgres:// URL\n'
      })
    }
  })
})
