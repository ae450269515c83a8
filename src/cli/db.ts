/** `taskq db migrate`: brings the PostgreSQL queue's schema up to date (also done on first use). */
import { Console, Effect, Layer, Option } from "effect"
import { Command } from "effect/cli"
import { InvalidInput } from "../core/errors.js"
import { TaskqConfig } from "../support/config.js"
import { QueueUrl } from "./queueUrl.js"

const migrate = Command.make(
  "migrate",
  {},
  Effect.fn("cli.db.migrate")(function* () {
    const url = Option.fromUndefinedOr((yield* TaskqConfig).values.queueUrl)
    if (Option.isNone(url))
      return yield* new InvalidInput({
        reason: "taskq db migrate needs --queue-url postgres://… (or TASKQ_QUEUE_URL)"
      })
    const { migrateUrl } = yield* Effect.promise(() => import("../store/pg/layer.js"))
    const { applied, version } = yield* migrateUrl(url.value)
    yield* Console.log(
      applied.length === 0
        ? `schema up to date (version ${version})`
        : `applied migration${applied.length > 1 ? "s" : ""} ${applied.join(", ")}; schema at version ${version}`
    )
  })
).pipe(
  Command.withDescription("Create or upgrade the PostgreSQL queue's tables"),
  Command.provide(
    Layer.unwrap(QueueUrl.useSync((queueUrl) => TaskqConfig.layerFrom({ readQueueFile: false, flags: { queueUrl } })))
  )
)

export const db = Command.make("db").pipe(
  Command.withDescription("The PostgreSQL queue (--queue-url)"),
  Command.withSubcommands([migrate])
)
