/**
 * `--queue-url postgres://…` (`TASKQ_QUEUE_URL`): a global flag choosing the PostgreSQL queue over
 * the JSONL queue dir. The PostgreSQL client is imported only when a URL is given, so JSONL
 * commands start without loading it.
 */
import { Effect, Layer } from "effect"
import { Flag, GlobalFlag } from "effect/cli"
import { ErrorStore } from "../store/ErrorStore.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { TaskqConfig } from "../support/config.js"

export const QueueUrl = GlobalFlag.Setting("queue-url")({
  flag: Flag.String("queue-url").pipe(
    Flag.withDescription(
      "A shared queue in PostgreSQL, postgres://… " + "(default: $TASKQ_QUEUE_URL, else the queue dir)"
    ),
    Flag.optional
  )
})

/** The PostgreSQL stores (TaskRepository, ErrorStore, SharedQueue) for `url`, loaded on demand. */
export const pgLayer = (url: string) =>
  Layer.unwrap(
    Effect.gen(function* () {
      // the URL's form and TASKQ_LEASE_SECONDS >= 3 are checked by TaskqConfig
      const lease = (yield* TaskqConfig).values.leaseSeconds
      const { pgQueueLayer } = yield* Effect.promise(() => import("../store/pg/layer.js"))
      return pgQueueLayer(url, lease)
    })
  )

/** The task store the command uses: PostgreSQL when a queue URL is set, else the JSONL queue. */
export const storeLayer = Layer.unwrap(
  Effect.gen(function* () {
    const url = (yield* TaskqConfig).values.queueUrl
    return url !== undefined ? pgLayer(url) : Layer.mergeAll(TaskRepository.layer, ErrorStore.layer)
  })
)
