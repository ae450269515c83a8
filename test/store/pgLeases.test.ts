// The PostgreSQL queue across processes' worth of clients: migrations racing, SKIP LOCKED claims,
// leases that lapse when their runner stops and hold while it lives, the runner registry.
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Option, Scope } from "effect"
import { join } from "node:path"
import { SharedQueue } from "../../src/store/pg/SharedQueue.js"
import { ErrorStore } from "../../src/store/ErrorStore.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { tempDir } from "../helpers/fixtures.js"
import { sampleRecord } from "../helpers/layers.js"
import { spanNamesOf, untracedMethods } from "../helpers/spans.js"
import { freshPgUrl, pgStoreAt } from "./pg.js"

/** A separate client (own pool, own heartbeats) on `url`, alive until `scope` closes. */
const client = (url: string, scope: Scope.Scope, leaseSeconds = 60) =>
  Layer.buildWithScope(pgStoreAt(url, join(tempDir(), "queue"), leaseSeconds), scope).pipe(
    Effect.map((ctx) => ({
      tasks: Context.get(ctx, TaskRepository),
      errors: Context.get(ctx, ErrorStore),
      shared: Context.get(ctx, SharedQueue)
    }))
  )

describe("PostgreSQL queue: claims and leases", () => {
  it.live("each SharedQueue method runs in a span named after it (SharedQueue.claimNext, ...)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const c = yield* client(yield* freshPgUrl, yield* Effect.scope)
        yield* c.tasks.add({ record: sampleRecord("T-1", "/q"), prompt: "p" })
        const names = yield* spanNamesOf(
          Effect.scoped(
            Effect.gen(function* () {
              yield* c.shared.prompt("T-1")
              yield* c.shared.registerRunner("runner-0:1", "host-0")
              yield* c.shared.claimNext("runner-0:1")
              yield* c.shared.reapExpired
              yield* c.shared.drain("runner-0:1")
              yield* c.shared.runners
            })
          )
        )
        const methods = Object.entries(c.shared)
          .filter(([, member]) => typeof member !== "string" && typeof member !== "number")
          .map(([name]) => name)
        assert.lengthOf(methods, 6)
        assert.deepStrictEqual(untracedMethods("SharedQueue", methods, names), [])
      })
    )
  )

  it.live("five clients migrating one empty database at once: one schema, all of them work", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = yield* freshPgUrl
        const scope = yield* Scope.make()
        const clients = yield* Effect.forEach([1, 2, 3, 4, 5], () => client(url, scope), { concurrency: "unbounded" })
        yield* Effect.forEach(clients, (c, i) => c.tasks.add({ record: sampleRecord(`T-${i}`, "/q"), prompt: "p" }), {
          concurrency: "unbounded"
        })
        for (const c of clients) assert.lengthOf(yield* c.tasks.list, 5)
        yield* Scope.close(scope, Exit.void)
      })
    )
  )

  it.live(
    "eight runners claiming 200 tasks with SKIP LOCKED: each task claimed exactly once",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* freshPgUrl
          const scope = yield* Effect.scope
          const admin = yield* client(url, scope)
          const clients = yield* Effect.forEach(Array.from({ length: 8 }), () => client(url, scope))
          yield* Effect.forEach(Array.from({ length: 200 }), (_, i) =>
            admin.tasks.add({ record: sampleRecord(`T-${i}`, "/q"), prompt: "p" })
          )
          const claims = yield* Effect.forEach(
            clients,
            (c, n) =>
              Effect.gen(function* () {
                const mine: Array<string> = []
                for (;;) {
                  const t = yield* c.shared.claimNext(`runner-${n}:1`)
                  if (Option.isNone(t)) return mine
                  mine.push(t.value.id)
                }
              }),
            { concurrency: "unbounded" }
          )
          const all = claims.flat()
          assert.lengthOf(all, 200)
          assert.strictEqual(new Set(all).size, 200)
          assert.isAbove(claims.filter((c) => c.length > 0).length, 1, "the claims were spread over runners")
          const records = yield* admin.tasks.list
          for (const r of records) assert.strictEqual(r.status, "in_progress")
        })
      ),
    60_000
  )

  it.live(
    "a runner that stops renewing loses its task: failed at stage runner exactly once; a live one keeps it",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* freshPgUrl
          const dying = yield* Scope.make()
          const dead = yield* client(url, dying, 3)
          const alive = yield* client(url, yield* Effect.scope, 3)
          const watcher = yield* client(url, yield* Effect.scope, 3)
          for (const id of ["T-dead", "T-alive"])
            yield* alive.tasks.add({ record: sampleRecord(id, "/q"), prompt: "p" })
          yield* dead.tasks.transition("T-dead", "run", { runner: "hostA:1" })
          yield* alive.tasks.transition("T-alive", "run", { runner: "hostB:2" })
          yield* Scope.close(dying, Exit.void) // hostA dies: its heartbeats stop
          yield* Effect.sleep("5 seconds")
          const [first, second] = yield* Effect.all([watcher.shared.reapExpired, alive.shared.reapExpired], {
            concurrency: "unbounded"
          })
          const reaped = [...first, ...second]
          assert.deepStrictEqual(
            reaped.map((t) => t.id),
            ["T-dead"]
          )
          assert.strictEqual(reaped[0]?.runner, "hostA:1")
          const failed = yield* watcher.tasks.get("T-dead")
          assert.strictEqual(failed.status, "failed")
          assert.include(failed.error ?? "", "hostA:1")
          const report = Option.getOrThrow(yield* watcher.errors.read("T-dead"))
          assert.strictEqual(report.stage, "runner")
          assert.strictEqual((yield* watcher.tasks.get("T-alive")).status, "in_progress")
          assert.deepStrictEqual(yield* watcher.shared.reapExpired, [])
          // the live runner finishes normally
          assert.strictEqual((yield* alive.tasks.transition("T-alive", "ok", { runner: null })).status, "review")
        })
      ),
    60_000
  )

  it.live("registered runners are listed with the tasks they hold, and vanish when they stop", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = yield* freshPgUrl
        const c = yield* client(url, yield* Effect.scope)
        yield* c.tasks.add({ record: sampleRecord("T-1", "/q"), prompt: "p" })
        const life = yield* Scope.make()
        yield* c.shared.registerRunner("hostA:7", "hostA").pipe(Scope.provide(life))
        yield* c.tasks.transition("T-1", "run", { runner: "hostA:7" })
        const [r] = yield* c.shared.runners
        assert.deepInclude(r, { id: "hostA:7", host: "hostA", draining: false })
        assert.deepStrictEqual(
          r?.tasks.map((t) => t.id),
          ["T-1"]
        )
        yield* c.shared.drain("hostA:7")
        assert.isTrue((yield* c.shared.runners)[0]?.draining)
        yield* Scope.close(life, Exit.void)
        assert.deepStrictEqual(yield* c.shared.runners, [])
      })
    )
  )
})
