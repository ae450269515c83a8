// The PostgreSQL side of the store tests: the throwaway cluster of scripts/ensure-postgres.sh
// (started here when TASKQ_TEST_PG_URL is not set) and a fresh schema per test.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { execFileSync } from "node:child_process"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { pgClientLayer, pgQueueLayer } from "../../src/store/pg/layer.js"
import { QueuePaths } from "../../src/support/paths.js"

let cached: string | undefined
/** The cluster's URL. */
export const pgBaseUrl = (): string => {
  cached ??=
    process.env["TASKQ_TEST_PG_URL"] ??
    execFileSync("bash", ["scripts/ensure-postgres.sh"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"]
    }).trim()
  return cached
}

/** `base` with every connection's search_path set to `schema`. */
export const withSchema = (base: string, schema: string): string => {
  const u = new URL(base)
  u.searchParams.set("options", `-c search_path=${schema}`)
  return u.toString()
}

const admin = (statement: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(pgClientLayer(pgBaseUrl())))

/** A URL of a new empty schema, dropped when the scope closes. */
export const freshPgUrl = Effect.gen(function* () {
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  yield* Effect.acquireRelease(admin(`CREATE SCHEMA ${schema}`), () =>
    admin(`DROP SCHEMA ${schema} CASCADE`).pipe(Effect.ignore)
  )
  return withSchema(pgBaseUrl(), schema)
})

/** The PostgreSQL stores over `url`, with the platform services the pipeline helpers use. */
export const pgStoreAt = (url: string, root: string, leaseSeconds = 60) =>
  pgQueueLayer(url, leaseSeconds).pipe(
    Layer.provideMerge(QueuePaths.layer(root)),
    Layer.provideMerge(NodeServices.layer)
  )
