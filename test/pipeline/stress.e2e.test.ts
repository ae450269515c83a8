// Many tasks and many taskq processes at once, some killed with SIGKILL at random moments: adds,
// runners, cancels, retries, cleanups, dones and rejects on one queue, for real. Afterwards a person
// settles the queue (a run recovers what dead runners left, everything is cancelled and cleaned up)
// and every record must be accounted for, with no container, worktree or agent state left behind.
import { assert, beforeAll, describe, it } from "vitest"
import { type ChildProcess, execFileSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { scripted } from "../helpers/agentRuntime.js"
import { containersOf, type Scratch, sleep, uid, useRealRuntime } from "../helpers/e2e.js"

const { fresh } = useRealRuntime()
let s: Scratch
const attempted: Array<string> = []
beforeAll(() => {
  s = fresh()
})

/** A dead holder's lock is taken over after 2 s (the least allowed), so kills cost little waiting. */
const ENV = { TASKQ_LOCK_STALE_MS: "2000", TASKQ_IDLE_TIMEOUT: "30" }
const CHAOS_MS = 25_000
const random = (n: number) => Math.floor(Math.random() * n)
const pick = <A>(xs: ReadonlyArray<A>): A | undefined => xs[random(xs.length)]

interface Tally {
  readonly killed: Map<string, number>
  readonly exits: Map<string, number>
}
const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)

/** Every taskq process still running; when the chaos ends they all get SIGKILL, whatever they were doing. */
const live = new Set<ChildProcess>()
let stopping = false

/** Runs `taskq args`; with probability `killChance` it is SIGKILLed after up to `killWithinMs`. */
const chaotic = async (tally: Tally, args: ReadonlyArray<string>, killChance: number, killWithinMs: number) => {
  if (stopping) return undefined
  const p = s.start(args, ENV)
  live.add(p.child)
  void p.done.then(() => live.delete(p.child))
  let timer: NodeJS.Timeout | undefined
  if (Math.random() < killChance) timer = setTimeout(() => p.child.kill("SIGKILL"), random(killWithinMs))
  const r = await p.done
  clearTimeout(timer)
  if (r.signal === "SIGKILL") count(tally.killed, args[0] ?? "?")
  else count(tally.exits, `${args[0]} ${r.code}`)
  return r
}

describe("stress", () => {
  it("concurrent add/run/cancel/retry/cleanup/done/reject with random SIGKILLs: nothing lost, nothing orphaned", async () => {
    const tally: Tally = { killed: new Map(), exits: new Map() }
    const added = new Set<string>()
    const task = (i: number) =>
      i % 3 === 2
        ? scripted("Fail", [{ httpError: 400, message: "scripted failure" }])
        : scripted("Write", [{ tool: "write", args: { filePath: `f${i}.txt`, content: "x\n" } }, { text: "ok" }])
    const add = async (i: number, killChance: number) => {
      const id = uid(`st${i}`)
      attempted.push(id)
      const r = await chaotic(tally, ["add", "--id", id, "--repo", s.repo, "--task", task(i)], killChance, 400)
      if (r?.code === 0) added.add(id)
    }
    for (let i = 0; i < 3; i++) await add(i, 0)

    const t0 = Date.now()
    const at = (what: string) => console.log(`stress: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const stopper = setTimeout(() => {
      stopping = true
      for (const child of live) child.kill("SIGKILL")
    }, CHAOS_MS)
    const loop = async (f: () => Promise<unknown>, pauseMs: number) => {
      while (!stopping) {
        await f()
        await sleep(random(pauseMs))
      }
    }
    let next = 3
    const moves = ["cancel", "retry", "cleanup", "done", "reject"] as const
    await Promise.all([
      loop(() => (next < 10 ? add(next++, 0.25) : sleep(1000)), 3000),
      loop(() => chaotic(tally, ["run", "--max-parallel", "2"], 0.4, 8000), 1000),
      loop(() => chaotic(tally, ["run"], 0.4, 8000), 1000),
      loop(async () => {
        const id = pick(attempted)
        const move = pick(moves)
        if (id === undefined || move === undefined) return
        const args = move === "cleanup" && Math.random() < 0.3 ? ["cleanup"] : [move, "--id", id]
        await chaotic(tally, args, 0.2, 600)
      }, 700)
    ])

    clearTimeout(stopper)
    at("chaos over")
    // a person settles the queue: a run fails what dead runners left, then everything is cancelled and cleaned
    const settle = async (...args: ReadonlyArray<string>) => s.taskqWith(ENV, ...args)
    const cancelAll = (which: (status: string) => boolean) =>
      Promise.all(s.records().flatMap((r) => (which(r.status) ? [settle("cancel", "--id", r.id)] : [])))
    await cancelAll((status) => status === "todo")
    const recovered = await settle("run")
    assert.include([0, 1], recovered.code, recovered.stderr)
    for (const r of s.records()) assert.notStrictEqual(r.status, "in_progress", `${r.id} in progress after recovery`)
    await cancelAll((status) => status !== "done" && status !== "cancelled")
    const cleaned = await settle("cleanup")
    assert.strictEqual(cleaned.code, 0, cleaned.stderr)
    at("settled")

    const final = s.records()
    const ids = final.map((r) => r.id)
    console.log(
      `stress: ${attempted.length} adds tried, ${final.length} records; killed ${JSON.stringify([...tally.killed])}; exits ${JSON.stringify([...tally.exits])}`
    )
    assert.strictEqual(new Set(ids).size, ids.length, "no duplicate record")
    for (const id of added) assert.include(ids, id, `${id} was added and must be in the queue`)
    for (const id of ids) {
      assert.include(attempted, id)
      assert.include(["done", "cancelled"], final.find((r) => r.id === id)?.status)
      assert.isTrue(existsSync(join(s.queue, "tasks", `${id}.md`)), `${id}'s prompt`)
    }
    for (const id of attempted) assert.deepStrictEqual(containersOf(id), [], `${id}: no container left`)
    const worktrees = execFileSync("git", ["-C", s.repo, "worktree", "list", "--porcelain"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.startsWith("worktree "))
    assert.deepStrictEqual(worktrees, [`worktree ${s.repo}`], "only the main worktree is left")
    const left = (dir: string) => (existsSync(join(s.queue, dir)) ? readdirSync(join(s.queue, dir)) : [])
    assert.deepStrictEqual(left("worktrees"), [], "no worktree dir left")
    assert.deepStrictEqual(left("opencode"), [], "no agent state left")
  }, 115_000)
})
