/**
 * The PostgreSQL queue as layers: the client for a `postgres://` URL and the stores over it. Loaded
 * only when a queue URL is given (see `queueBackend.ts`), so JSONL commands never load the client.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { QueueError } from "../../core/errors.js"
import { pgStoreLayer } from "./PgStore.js"
import { currentVersion, migrate } from "./schema.js"

/** The URL without its password, for messages. */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password) u.password = "***"
    return u.toString()
  } catch {
    return "postgres://(unparsable URL)"
  }
}

/** The PostgreSQL client for `url` (UTC session, a small pool). */
export const pgClientLayer = (url: string) =>
  PgClient.layerFrom(
    PgClient.make({
      url: Redacted.make(url),
      applicationName: "taskq",
      startupParameters: { TimeZone: "UTC" },
      maxConnections: 4,
      connectTimeout: "10 seconds"
    }).pipe(Effect.mapError((e) => new QueueError({ path: redactUrl(url), reason: `cannot connect: ${e.message}` })))
  )

/** TaskRepository, ErrorStore and SharedQueue over the database at `url`. */
export const pgQueueLayer = (url: string, leaseSeconds: number) =>
  pgStoreLayer({ location: redactUrl(url), leaseSeconds }).pipe(Layer.provide(pgClientLayer(url)))

/** Applies the missing migrations; the versions applied and the version now. */
const migrateAll = Effect.gen(function* () {
  const applied = yield* migrate()
  return { applied, version: yield* currentVersion }
})

/** Applies the missing migrations of the database at `url`; the versions applied and the version now. */
export const migrateUrl = (url: string) =>
  migrateAll.pipe(
    Effect.mapError((e) => new QueueError({ path: redactUrl(url), reason: e.message })),
    Effect.provide(pgClientLayer(url))
  )
