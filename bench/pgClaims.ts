// The PostgreSQL queue's claim path under contention: `node pgClaims.mjs seed URL N` adds N todo
// tasks; `node pgClaims.mjs claim URL NAME` claims (FOR UPDATE SKIP LOCKED) until none is left and
// prints {runner, ids, firstMs, lastMs}. Driven by bench/pg.sh.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Clock, Console, Effect, Layer, Option } from "effect"
import { pgQueueLayer } from "../src/store/pg/layer.js"
import { SharedQueue } from "../src/store/pg/SharedQueue.js"
import { TaskRepository } from "../src/store/TaskRepository.js"
import { QueuePaths } from "../src/support/paths.js"
import { TaskId } from "../src/core/task.js"

const [mode, url = "", arg = ""] = process.argv.slice(2)
const layer = pgQueueLayer(url, 60).pipe(
  Layer.provideMerge(QueuePaths.layer("/tmp/taskq-bench-queue")),
  Layer.provideMerge(NodeServices.layer)
)

const seed = Effect.gen(function* () {
  const repo = yield* TaskRepository
  const n = Number(arg)
  yield* Effect.forEach(
    Array.from({ length: n }, (_, i) => `B-${String(i).padStart(5, "0")}`),
    (id) =>
      repo.add({
        record: {
          id: TaskId.make(id),
          repo: "/src/app",
          base: "main",
          branch: `taskq/${id}`,
          worktree_path: `/q/worktrees/${id}`,
          status: "todo",
          attempt: 1,
          created_at: "2026-11-26T08:00:00.000Z",
          updated_at: "2026-11-26T08:00:00.000Z",
          task_file: `/q/tasks/${id}.md`
        },
        prompt: `task ${id}\n`
      }),
    { concurrency: 4, discard: true }
  )
})

const claim = Effect.gen(function* () {
  const shared = yield* SharedQueue
  const ids: Array<string> = []
  // every runner connects first, then all start together at the wall-clock second given
  yield* (yield* TaskRepository).get("warm-up").pipe(Effect.option)
  const start = Number(process.env["BENCH_START_MS"] ?? 0)
  const now = yield* Clock.currentTimeMillis
  if (start > now) yield* Effect.sleep(start - now)
  const firstMs = yield* Clock.currentTimeMillis
  for (;;) {
    const t = yield* shared.claimNext(`${arg}:1`)
    if (Option.isNone(t)) break
    ids.push(t.value.id)
  }
  const lastMs = yield* Clock.currentTimeMillis
  yield* Console.log(JSON.stringify({ runner: arg, ids, firstMs, lastMs }))
})

;(mode === "seed" ? seed : claim).pipe(Effect.scoped, Effect.provide(layer), NodeRuntime.runMain)
