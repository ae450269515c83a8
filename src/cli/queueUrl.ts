/**
 * `--queue-url postgres://…` (`TASKQ_QUEUE_URL`): a global flag choosing the PostgreSQL queue over
 * the JSONL queue dir. The PostgreSQL client is imported only when a URL is given, so JSONL
 * commands start without loading it.
 */
import { Config, Effect, Layer, Option } from "effect"
import { Flag, GlobalFlag } from "effect/cli"
import { InvalidInput } from "../core/errors.js"
import { ErrorStore } from "../store/ErrorStore.js"
import { TaskRepository } from "../store/TaskRepository.js"

export const DEFAULT_LEASE_SECONDS = 60

export const QueueUrl = GlobalFlag.Setting("queue-url")({
  flag: Flag.String("queue-url").pipe(
    Flag.withDescription("A shared queue in PostgreSQL, postgres://… (default: $TASKQ_QUEUE_URL, else the queue dir)"),
    Flag.withFallbackConfig(Config.String("TASKQ_QUEUE_URL")),
    Flag.optional
  )
})

const leaseSeconds = Config.Int("TASKQ_LEASE_SECONDS").pipe(Config.withDefault(DEFAULT_LEASE_SECONDS))

/** The PostgreSQL stores (TaskRepository, ErrorStore, SharedQueue) for `url`, loaded on demand. */
export const pgLayer = (url: string) =>
  Layer.unwrap(
    Effect.gen(function* () {
      if (!/^postgres(ql)?:\/\//.test(url))
        return yield* new InvalidInput({ reason: `--queue-url must be a postgres:// URL, not ${JSON.stringify(url)}` })
      const lease = yield* leaseSeconds.pipe(
        Effect.mapError((e) => new InvalidInput({ reason: `TASKQ_LEASE_SECONDS: ${e.message}` }))
      )
      if (lease < 3) return yield* new InvalidInput({ reason: `TASKQ_LEASE_SECONDS must be at least 3, not ${lease}` })
      const { pgQueueLayer } = yield* Effect.promise(() => import("../store/pg/layer.js"))
      return pgQueueLayer(url, lease)
    })
  )

/** The task store the command uses: PostgreSQL when a queue URL is set, else the JSONL queue. */
export const storeLayer = Layer.unwrap(
  Effect.gen(function* () {
    const url = yield* QueueUrl
    return Option.isSome(url) ? pgLayer(url.value) : Layer.mergeAll(TaskRepository.layer, ErrorStore.layer)
  })
)
