// Issue 9 scenario 4 and issue 8 item 4: task files are bounded regular files, and frontmatter is
// YAML data — nothing in a task file is evaluated.
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { execFileSync } from "node:child_process"
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cli } from "../helpers/cli.js"
import { makeRepo, tempDir } from "../helpers/fixtures.js"

const setup = () => {
  const dir = tempDir()
  return { dir, repo: makeRepo(), queue: join(dir, "queue") }
}
const records = (queue: string) =>
  existsSync(join(queue, "tasks.jsonl")) ? execFileSync("cat", [join(queue, "tasks.jsonl")], { encoding: "utf8" }) : ""

describe("frontmatter is data", () => {
  for (const lang of ["js", "javascript", " js", "coffee", "json"]) {
    it.live(`a ---${lang.trim()} task file is refused and nothing in it runs`, () =>
      Effect.gen(function* () {
        const { dir, repo, queue } = setup()
        const marker = join(dir, "MARKER")
        const code = `{ id: (require("fs").writeFileSync(${JSON.stringify(marker)}, "pwned"), "pwn"), repo: ${JSON.stringify(repo)} }`
        const file = join(dir, "evil.md")
        writeFileSync(file, `---${lang}\n${code}\n---\nDo something.\n`)
        const r = yield* cli("add", "--task-file", file, "--queue-dir", queue)
        assert.isFalse(r.ok)
        assert.include(r.stderr, "frontmatter is YAML only")
        assert.strictEqual(r.stderr.split("\n").length, 1)
        assert.isFalse(existsSync(marker), "the frontmatter's code ran")
        assert.strictEqual(records(queue), "")
      })
    )
  }

  it.live("plain --- and ---yaml frontmatter still work", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      writeFileSync(join(dir, "a.md"), `---\nid: A-1\nrepo: ${repo}\n---\nA.\n`)
      writeFileSync(join(dir, "b.md"), `---yaml\nid: B-1\nrepo: ${repo}\n---\nB.\n`)
      assert.isTrue((yield* cli("add", "--task-file", join(dir, "a.md"), "--queue-dir", queue)).ok)
      const b = yield* cli("add", "--task-file", join(dir, "b.md"), "--queue-dir", queue)
      assert.isTrue(b.ok, b.stderr)
    })
  )
})

describe("task files are bounded regular files", () => {
  it.live("/dev/zero is refused at once (not read)", () =>
    Effect.gen(function* () {
      const { repo, queue } = setup()
      const r = yield* cli("add", "--task-file", "/dev/zero", "--id", "Z-1", "--repo", repo, "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.strictEqual(r.stderr, "taskq: /dev/zero: not a regular file (it is a character device)")
    }).pipe(Effect.timeout("10 seconds"))
  )

  it.live("a FIFO is refused without blocking", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      const fifo = join(dir, "pipe.md")
      execFileSync("mkfifo", [fifo])
      const r = yield* cli("add", "--task-file", fifo, "--id", "F-1", "--repo", repo, "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.include(r.stderr, "not a regular file (it is a FIFO (named pipe))")
    }).pipe(Effect.timeout("10 seconds"))
  )

  it.live("a directory is refused", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      const r = yield* cli("add", "--task-file", dir, "--id", "D-1", "--repo", repo, "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.include(r.stderr, "not a regular file (it is a directory)")
    })
  )

  it.live("a file over the limit is refused; the limit is TASKQ_MAX_TASK_FILE_BYTES (default 1 MiB)", () =>
    Effect.gen(function* () {
      const { dir, repo, queue } = setup()
      const big = join(dir, "big.md")
      writeFileSync(big, "x".repeat(1024 * 1024 + 1))
      const r = yield* cli("add", "--task-file", big, "--id", "B-1", "--repo", repo, "--queue-dir", queue)
      assert.isFalse(r.ok)
      assert.include(r.stderr, "larger than 1048576 bytes, the limit for task files (TASKQ_MAX_TASK_FILE_BYTES)")
      const ok = join(dir, "ok.md")
      writeFileSync(ok, "x".repeat(1024 * 1024 - 100))
      const r2 = yield* cli("add", "--task-file", ok, "--id", "B-2", "--repo", repo, "--queue-dir", queue)
      assert.isTrue(r2.ok, r2.stderr)
      const r3 = yield* cli("add", "--task-file", ok, "--id", "B-3", "--repo", repo, "--queue-dir", queue).pipe(
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnvRecord({ ...process.env, TASKQ_MAX_TASK_FILE_BYTES: "100" })
        )
      )
      assert.include(r3.stderr, "larger than 100 bytes")
    })
  )
})
