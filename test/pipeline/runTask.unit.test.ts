// The pipeline's failure policy with narrow fakes (Layer.mock: a member a test did not implement
// fails loudly), for the paths hard to provoke for real: interruption at each stage, cleanup steps
// that fail or hang themselves. The store is the real one, in a temp queue.
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { DockerUnavailable } from "../../src/adapters/dockerErrors.js"
import { AgentFailed } from "../../src/adapters/openCodeErrors.js"
import { runTask } from "../../src/pipeline/runTask.js"
import { ErrorStore } from "../../src/store/ErrorStore.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { errorReport } from "../helpers/fixtures.js"
import { type Fakes, fakeRuntimeWorld, testRunOptions } from "../helpers/runtimeMocks.js"

const report = (root: string) => errorReport(root, "T-1")

/** A fake method that opens `gate` and then never returns: the stage blocks until interrupted. */
const blockAt = (gate: Deferred.Deferred<void>) => () =>
  Deferred.succeed(gate, undefined).pipe(Effect.andThen(Effect.never))

/** Seeds T-1, runs it until a fake opens `gate`, interrupts it, and returns the record afterwards. */
const runAndInterrupt = (w: ReturnType<typeof fakeRuntimeWorld>, gate: Deferred.Deferred<void>) =>
  Effect.gen(function* () {
    yield* w.seed
    const fiber = yield* Effect.forkChild(runTask("T-1", testRunOptions))
    yield* Deferred.await(gate)
    yield* Fiber.interrupt(fiber)
    return yield* (yield* TaskRepository).get("T-1")
  })

describe("runTask with narrow fakes", () => {
  it.live("success: review with container, port, session and attempt dirs recorded", () => {
    const calls: Array<string> = []
    const w = fakeRuntimeWorld({}, calls)
    return Effect.gen(function* () {
      yield* w.seed
      const outcome = yield* runTask("T-1", testRunOptions)
      assert.strictEqual(outcome._tag, "Review")
      const r = yield* (yield* TaskRepository).get("T-1")
      assert.deepInclude(r, {
        status: "review",
        port: 40000,
        session_id: "ses_test",
        opencode_config_dir: join(w.root, "opencode", "T-1", "attempt-1", "config")
      })
      assert.notProperty(r, "runner")
      assert.match(r.container ?? "", /^task-T-1-/)
      const config = JSON.parse(
        readFileSync(join(w.root, "opencode", "T-1", "attempt-1", "config", "opencode.json"), "utf8")
      )
      assert.deepStrictEqual(config.permission, { "*": "allow", question: "deny" })
      assert.strictEqual(config.autoupdate, false)
      // nobody reviews it yet: its container is stopped (review starts it again), never removed
      assert.include(calls, "stop task-T-1-20260101T000000Z")
      assert.notInclude(calls.join(" "), "remove ", "a task in review keeps its container")
    }).pipe(Effect.provide(w.layer))
  })

  it.live("a task that is not todo is skipped, untouched", () => {
    const w = fakeRuntimeWorld({}, [])
    return Effect.gen(function* () {
      yield* w.seed
      yield* (yield* TaskRepository).transition("T-1", "cancel")
      const outcome = yield* runTask("T-1", testRunOptions)
      assert.strictEqual(outcome._tag, "Skipped")
      assert.strictEqual((yield* (yield* TaskRepository).get("T-1")).status, "cancelled")
      assert.strictEqual(outcome._tag === "Skipped" ? outcome.reason : "", "not todo (claimed by another runner?)")
    }).pipe(Effect.provide(w.layer))
  })

  it.live("a refusal in setup is a StageError of stage setup whose cause is kept as cause_tag", () => {
    const w = fakeRuntimeWorld({ git: { branchExists: () => Effect.succeed(true) } }, [])
    return Effect.gen(function* () {
      yield* w.seed
      const outcome = yield* runTask("T-1", testRunOptions)
      assert.strictEqual(outcome._tag, "Failed")
      assert.deepInclude(report(w.root), { stage: "setup", exit_code: 1, cause_tag: "InvalidInput" })
      assert.include(report(w.root).stderr, "branch taskq/T-1 already exists")
    }).pipe(Effect.provide(w.layer))
  })

  // each stage blocks until the test interrupts it; the releases must record the failure and stop containers
  const blockers: ReadonlyArray<readonly [string, string, (gate: Deferred.Deferred<void>) => Fakes, boolean]> = [
    ["setup (worktree)", "setup", (gate) => ({ git: { addWorktree: blockAt(gate) } }), false],
    ["execute (container start)", "execute", (gate) => ({ docker: { startContainer: blockAt(gate) } }), false],
    ["execute (server readiness)", "execute", (gate) => ({ opencode: { waitReady: blockAt(gate) } }), true],
    ["execute (agent working)", "execute", (gate) => ({ opencode: { send: blockAt(gate) } }), true]
  ]
  for (const [name, stage, fakes, hasContainer] of blockers) {
    it.live(
      `interrupted during ${name}: failed, report with exit 130, containers stopped, nothing left in progress`,
      () => {
        const calls: Array<string> = []
        return Effect.gen(function* () {
          const gate = yield* Deferred.make<void>()
          const w = fakeRuntimeWorld(fakes(gate), calls)
          yield* Effect.gen(function* () {
            const r = yield* runAndInterrupt(w, gate)
            assert.strictEqual(r.status, "failed")
            assert.include(r.error ?? "", `interrupted during ${stage}`)
            assert.deepInclude(report(w.root), {
              stage,
              exit_code: 130,
              stderr: "interrupted",
              cause_tag: "Interrupted"
            })
            const container = calls.find((c) => c.startsWith("start "))?.slice(6)
            assert.strictEqual(container !== undefined, hasContainer)
            if (container) assert.include(calls, `stop ${container}`)
            assert.notInclude(calls.join(" "), "remove ", "preserved by default")
          }).pipe(Effect.provide(w.layer))
        })
      }
    )
  }

  it.live("a failing stage with --cleanup-on-fail: containers removed, work snapshotted, worktree removed", () => {
    const calls: Array<string> = []
    const w = fakeRuntimeWorld(
      {
        opencode: {
          send: () => Effect.fail(new AgentFailed({ reason: "APIError: model exploded", statusCode: 500 }))
        },
        git: {
          // once setup made it, the worktree is registered (and taskq recorded it as its own)
          addWorktree: () => Effect.sync(() => void calls.push("add-worktree")),
          listWorktrees: (repo) =>
            Effect.sync(() => [
              { path: repo, head: "h", branch: "main" },
              ...(calls.includes("add-worktree")
                ? [{ path: join(repo, "..", "worktrees", "T-1"), head: "h", branch: "taskq/T-1" }]
                : [])
            ]),
          snapshot: (_repo, wt) =>
            Effect.sync(() => {
              calls.push(`snapshot ${wt}`)
              return "abc"
            }),
          removeWorktree: (_repo, wt) => Effect.sync(() => void calls.push(`remove-worktree ${wt}`))
        }
      },
      calls
    )
    return Effect.gen(function* () {
      yield* w.seed
      const outcome = yield* runTask("T-1", { ...testRunOptions, cleanupOnFail: true })
      assert.strictEqual(outcome._tag, "Failed")
      const r = yield* (yield* TaskRepository).get("T-1")
      assert.strictEqual(r.status, "failed")
      assert.notProperty(r, "container")
      assert.deepInclude(report(w.root), {
        stage: "agent",
        exit_code: 500,
        stderr: "APIError: model exploded",
        cause_tag: "AgentFailed"
      })
      const wt = join(w.root, "worktrees", "T-1")
      assert.includeMembers(calls, [`snapshot ${wt}`, `remove-worktree ${wt}`])
      const removed = calls.findIndex((c) => c.startsWith("remove task-T-1-"))
      assert.isAtLeast(removed, 0)
      assert.isBelow(removed, calls.indexOf(`snapshot ${wt}`), "the container goes before the worktree")
      assert.isBelow(
        calls.indexOf(`snapshot ${wt}`),
        calls.indexOf(`remove-worktree ${wt}`),
        "the work is saved before the worktree goes"
      )
    }).pipe(Effect.provide(w.layer))
  })

  it.live("when the releases' own steps fail, the task still ends failed and says what could not be done", () => {
    const calls: Array<string> = []
    const unreachable = new DockerUnavailable({ endpoint: "unix:///x.sock", reason: "gone" })
    return Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const w = fakeRuntimeWorld(
        {
          opencode: { send: blockAt(gate) },
          docker: { listTaskContainers: () => Effect.fail(unreachable) }
        },
        calls
      )
      yield* Effect.gen(function* () {
        const r = yield* runAndInterrupt(w, gate)
        assert.strictEqual(r.status, "failed")
        assert.include(r.error ?? "", "listing containers failed: Docker engine not reachable at unix:///x.sock: gone")
        assert.isTrue(existsSync(join(w.root, "errors", "T-1.json")))
        assert.isTrue(Option.isSome(yield* (yield* ErrorStore).read("T-1")))
      }).pipe(Effect.provide(w.layer))
    })
  })

  // TestClock: a hung engine must not block Ctrl-C; each release step has a time limit
  it.effect("a release step that hangs is cut off by its time limit and noted; the failure is recorded", () => {
    const calls: Array<string> = []
    return Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const w = fakeRuntimeWorld({ opencode: { send: blockAt(gate) }, docker: { stop: () => Effect.never } }, calls)
      yield* Effect.gen(function* () {
        yield* w.seed
        const fiber = yield* Effect.forkChild(runTask("T-1", testRunOptions))
        yield* Deferred.await(gate)
        const interrupting = yield* Effect.forkChild(Fiber.interrupt(fiber))
        // advance the clock in small steps until the release gives up on the hung stop
        for (let i = 0; i < 60 && interrupting.pollUnsafe() === undefined; i++) {
          yield* TestClock.adjust("1 second")
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
        }
        yield* Fiber.await(interrupting)
        const r = yield* (yield* TaskRepository).get("T-1")
        assert.strictEqual(r.status, "failed")
        assert.match(r.error ?? "", /stopping task-T-1-\S+ failed: no answer within 20s/)
      }).pipe(Effect.provide(w.layer))
    })
  })
})
