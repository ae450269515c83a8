// cleanup's decisions with narrow fakes of the engine and git (Layer.mock: a call a test did not
// expect fails it), over a real store in a temp queue.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { Docker } from "../../src/adapters/Docker.js"
import { Git } from "../../src/adapters/Git.js"
import { cleanupTasks } from "../../src/pipeline/cleanup.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { tempDir } from "../helpers/fixtures.js"
import { sampleRecord, storeAt } from "../helpers/layers.js"

/** A done task T-1 with a worktree folder, a container and an agent state dir; fakes record their calls. */
const world = (fakes: { git?: Partial<Git["Service"]>; docker?: Partial<Docker["Service"]> }) => {
  const root = join(tempDir(), "queue")
  const worktree = join(root, "worktrees", "T-1")
  const layer = Layer.mergeAll(
    storeAt(root),
    Layer.mock(Git)({ ...fakes.git }),
    Layer.mock(Docker)({ endpoint: "test", ...fakes.docker })
  ).pipe(Layer.provideMerge(NodeServices.layer))
  const seed = Effect.gen(function* () {
    const tasks = yield* TaskRepository
    yield* tasks.add({ record: sampleRecord("T-1", root, { repo: join(root, "repo") }), prompt: "x\n" })
    yield* tasks.transition("T-1", "run")
    yield* tasks.transition("T-1", "ok", { container: "task-T-1-x", port: 40000 })
    yield* tasks.transition("T-1", "done")
    mkdirSync(worktree, { recursive: true })
    mkdirSync(join(root, "opencode", "T-1", "attempt-1"), { recursive: true })
  })
  return { root, worktree, layer, seed }
}

const all = { statuses: ["done", "cancelled"] as const, id: Option.none<string>(), keepWorktree: false }

describe("cleanup with narrow fakes", () => {
  it.live("a done task: containers removed, work committed before the worktree goes, runtime cleared", () => {
    const calls: Array<string> = []
    const w = world({
      docker: { removeTaskContainers: (id) => Effect.sync(() => (calls.push(`rm ${id}`), ["task-T-1-x"])) },
      git: {
        importBox: () => Effect.succeed(undefined),
        listWorktrees: () =>
          Effect.succeed([
            { path: join(w.root, "repo"), head: "h", branch: "main" },
            { path: join(w.root, "worktrees", "T-1"), head: "h", branch: "taskq/T-1" }
          ]),
        snapshot: (_repo, wt) => Effect.sync(() => (calls.push(`snapshot ${wt}`), "abcdef0123456789")),
        removeWorktree: (_repo, wt) => Effect.sync(() => void calls.push(`remove-worktree ${wt}`))
      }
    })
    return Effect.gen(function* () {
      yield* w.seed
      const [result] = yield* cleanupTasks(all)
      assert.deepStrictEqual(calls, ["rm T-1", `snapshot ${w.worktree}`, `remove-worktree ${w.worktree}`])
      assert.includeMembers(
        [...(result?.actions ?? [])],
        [
          "removed container task-T-1-x",
          "committed the worktree's changes to taskq/T-1 (abcdef012345)",
          `removed worktree ${w.worktree}`,
          "cleared runtime fields"
        ]
      )
      assert.isFalse(existsSync(join(w.root, "opencode", "T-1")), "agent state removed")
      const r = yield* (yield* TaskRepository).get("T-1")
      assert.notProperty(r, "container")
      assert.strictEqual(r.status, "done")
    }).pipe(Effect.provide(w.layer))
  })

  it.live("--keep-worktree never asks git anything (the mock would fail the test)", () => {
    const w = world({ docker: { removeTaskContainers: () => Effect.succeed([]) } })
    return Effect.gen(function* () {
      yield* w.seed
      const [result] = yield* cleanupTasks({ ...all, keepWorktree: true })
      assert.isTrue(existsSync(w.worktree))
      assert.notInclude((result?.actions ?? []).join(" "), "worktree")
    }).pipe(Effect.provide(w.layer))
  })

  it.live("a folder that is not a worktree of the repo is left in place, and said so", () => {
    const w = world({
      docker: { removeTaskContainers: () => Effect.succeed([]) },
      git: { listWorktrees: () => Effect.succeed([]) }
    })
    return Effect.gen(function* () {
      yield* w.seed
      const [result] = yield* cleanupTasks(all)
      assert.isTrue(existsSync(w.worktree))
      assert.include((result?.actions ?? []).join(" "), `left ${w.worktree} in place`)
    }).pipe(Effect.provide(w.layer))
  })
})
