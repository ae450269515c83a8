// The launcher (scripts/launcher.mjs) runs the bundle from a V8 code cache in the user's cache dir:
// written once, then used as it is; a damaged one is replaced; a dir others may write to is not used.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { join } from "node:path"
import { runTaskq, tempDir } from "../helpers/fixtures.js"

const live = (name: string, f: () => Promise<void>) => it.live(name, () => Effect.promise(f))

/** `taskq status` of an empty queue, with its caches under `cacheHome`. */
const status = async (cacheHome: string, env: Record<string, string> = {}) => {
  const queue = join(tempDir(), "queue")
  mkdirSync(queue)
  writeFileSync(join(queue, "tasks.jsonl"), "")
  const r = await runTaskq(["status", "--queue-dir", queue], { env: { XDG_CACHE_HOME: cacheHome, ...env } })
  assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, "no tasks\n", ""])
}
const cacheDir = (home: string) => join(home, "taskq", "code-cache")
const caches = (home: string) => (existsSync(cacheDir(home)) ? readdirSync(cacheDir(home)) : [])
/** The one cache file under `home`. */
const onlyCache = (home: string) => {
  const [name, ...more] = caches(home)
  assert.deepStrictEqual(more, [])
  if (name === undefined) return assert.fail("no code cache was written")
  return join(cacheDir(home), name)
}

describe("the launcher's code cache", () => {
  live("is written once, private to the user, then read as it is", async () => {
    const home = tempDir()
    await status(home)
    const file = onlyCache(home)
    assert.strictEqual(statSync(cacheDir(home)).mode & 0o777, 0o700)
    assert.strictEqual(statSync(file).mode & 0o777, 0o600)
    const first = statSync(file)
    await status(home)
    // V8 took it: not written again (a rejected cache is replaced, a new inode)
    const second = statSync(file)
    assert.deepStrictEqual([second.ino, second.mtimeMs], [first.ino, first.mtimeMs])
  })

  live("keeps the four newest of its own caches and nothing else is touched", async () => {
    const home = tempDir()
    mkdirSync(cacheDir(home), { recursive: true, mode: 0o700 })
    const old = ["0000000000000001", "0000000000000002", "0000000000000003", "0000000000000004"]
    old.forEach((hash, i) => {
      const file = join(cacheDir(home), `${hash}-v1.0.0-x64.bin`)
      writeFileSync(file, "old", { mode: 0o600 })
      utimesSync(file, 1000 + i, 1000 + i)
    })
    writeFileSync(join(cacheDir(home), "notes.bin"), "mine")
    await status(home)
    const left = caches(home).sort()
    assert.strictEqual(left.length, 5)
    assert.include(left, "notes.bin")
    assert.notInclude(left, `${old[0]}-v1.0.0-x64.bin`)
  })

  live("a damaged cache is refused by V8 and replaced; the command runs as usual", async () => {
    const home = tempDir()
    await status(home)
    const file = onlyCache(home)
    const size = statSync(file).size
    writeFileSync(file, Buffer.alloc(size, 7))
    const damaged = statSync(file).ino
    await status(home)
    assert.notStrictEqual(statSync(file).ino, damaged)
    assert.strictEqual(caches(home).length, 1)
    // a cache others may write to is not read either (it could be anyone's bytecode): replaced
    chmodSync(file, 0o666)
    const open = statSync(file).ino
    await status(home)
    assert.notStrictEqual(statSync(file).ino, open)
    assert.strictEqual(statSync(file).mode & 0o777, 0o600)
  })

  live("a cache dir others may write to is not used, and TASKQ_CODE_CACHE=0 turns it off", async () => {
    const home = tempDir()
    mkdirSync(cacheDir(home), { recursive: true })
    chmodSync(cacheDir(home), 0o777)
    await status(home)
    assert.deepStrictEqual(caches(home), [])
    const off = tempDir()
    await status(off, { TASKQ_CODE_CACHE: "0" })
    assert.deepStrictEqual(caches(off), [])
  })

  // Node's recursive mkdirSync spins forever under /proc; the launcher makes the dirs itself
  it.live(
    "a cache dir that cannot be made (under /proc) is done without, and taskq does not hang",
    () => Effect.promise(() => status("/proc/taskq-no-such-dir")),
    30_000
  )

  live("a relative XDG_CACHE_HOME is not a cache dir: nothing is written where taskq runs", async () => {
    const cwd = tempDir()
    const queue = join(cwd, "queue")
    mkdirSync(queue)
    writeFileSync(join(queue, "tasks.jsonl"), "")
    const r = await runTaskq(["status", "--queue-dir", queue], { cwd, env: { XDG_CACHE_HOME: "rel" } })
    assert.deepStrictEqual([r.code, r.stdout, r.stderr], [0, "no tasks\n", ""])
    assert.deepStrictEqual(readdirSync(cwd), ["queue"])
  })

  live("a cache dir below a dir others may write to is not used (they could swap it)", async () => {
    const home = tempDir()
    chmodSync(home, 0o777)
    await status(home)
    assert.deepStrictEqual(caches(home), [])
  })

  live("a bundle edited since (same length) runs as edited, not from the old bytecode", async () => {
    const home = tempDir()
    const dist = join(tempDir(), "dist")
    cpSync("dist", dist, { recursive: true })
    const run = () => {
      const queue = join(tempDir(), "queue")
      mkdirSync(queue)
      writeFileSync(join(queue, "tasks.jsonl"), "")
      return execFileSync(process.execPath, [join(dist, "taskq.mjs"), "status", "--queue-dir", queue], {
        encoding: "utf8",
        env: { ...process.env, XDG_CACHE_HOME: home }
      })
    }
    assert.strictEqual(run(), "no tasks\n")
    const bundle = join(dist, "taskq.cjs")
    writeFileSync(bundle, readFileSync(bundle, "utf8").replace('"no tasks"', '"NO TASKS"'))
    assert.strictEqual(run(), "NO TASKS\n")
  })
})
