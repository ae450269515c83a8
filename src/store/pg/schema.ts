/**
 * The PostgreSQL queue's schema, as numbered migrations. `migrate` applies the missing ones in one
 * transaction under an advisory lock, so many runners starting at once migrate exactly once.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { taskStatuses } from "../../core/task.js"

export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: ReadonlyArray<string>
}

/** A row of taskq_tasks as the store selects it: the insertion order and the record's JSON text. */
export interface TaskRow {
  readonly seq: string
  readonly record: string
}

const statusList = taskStatuses.map((s) => `'${s}'`).join(", ")

export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "tasks, task files, error reports, runners",
    statements: [
      // `record` is the task record as the one Schema encodes it; `status` mirrors record.status so a
      // transition can be one `UPDATE … WHERE status = …`; `seq` keeps the order tasks were added in
      `CREATE TABLE taskq_tasks (
        seq bigserial NOT NULL UNIQUE,
        id text PRIMARY KEY,
        status text NOT NULL CHECK (status IN (${statusList})),
        record jsonb NOT NULL CHECK (record->>'id' = id AND record->>'status' = status),
        lease_expires_at timestamptz
      )`,
      `CREATE INDEX taskq_tasks_status_seq ON taskq_tasks (status, seq)`,
      // the task markdown outlives its record unless removed with --purge, as queue/tasks/<id>.md does
      `CREATE TABLE taskq_task_files (id text PRIMARY KEY, body text NOT NULL)`,
      `CREATE TABLE taskq_errors (task_id text PRIMARY KEY, report jsonb NOT NULL)`,
      `CREATE TABLE taskq_runners (
        id text PRIMARY KEY,
        host text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        seen_at timestamptz NOT NULL DEFAULT now(),
        lease_expires_at timestamptz NOT NULL,
        draining boolean NOT NULL DEFAULT false
      )`
    ]
  }
]

export const LATEST_VERSION = Math.max(...migrations.map((m) => m.version))

/** Applies the migrations this database lacks; returns the versions applied (none when up to date). */
export const migrate = Effect.fnUntraced(function* () {
  const sql = yield* SqlClient
  const current = yield* currentVersion
  if (current >= LATEST_VERSION) return []
  return yield* sql.withTransaction(
    Effect.gen(function* () {
      yield* sql`SELECT pg_advisory_xact_lock(hashtext('taskq schema migration'))::text`
      yield* sql`CREATE TABLE IF NOT EXISTS taskq_schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`
      const done = new Set(
        (yield* sql<{ readonly version: number }>`SELECT version FROM taskq_schema_migrations`).map((r) =>
          Number(r.version)
        )
      )
      const applied: Array<number> = []
      for (const m of migrations) {
        if (done.has(m.version)) continue
        for (const statement of m.statements) yield* sql.unsafe(statement)
        yield* sql`INSERT INTO taskq_schema_migrations (version, name) VALUES (${m.version}, ${m.name})`
        applied.push(m.version)
      }
      return applied
    })
  )
})

/** The highest migration applied, 0 on an empty database. */
export const currentVersion = Effect.gen(function* () {
  const sql = yield* SqlClient
  const [table] = yield* sql<{
    readonly name: string | null
  }>`SELECT to_regclass('taskq_schema_migrations')::text AS name`
  if (!table?.name) return 0
  const [row] = yield* sql<{ readonly v: number | null }>`SELECT max(version) AS v FROM taskq_schema_migrations`
  return Number(row?.v ?? 0)
})
