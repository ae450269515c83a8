/**
 * SharedQueue over PostgreSQL: the task markdown, claims that skip a row another runner is taking
 * (`FOR UPDATE SKIP LOCKED`), expired leases reaped exactly once, and the registry of live runners.
 */
import { type Duration, Effect, Option, Schedule, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { isSqlError, type SqlError } from "effect/sql/SqlError"
import { type QueueError, type RecordDecodeError, TaskNotFound } from "../../core/errors.js"
import type { TaskRecord } from "../../core/task.js"
import { nowIso } from "../../core/time.js"
import { type ErrorStore, runnerGoneReport } from "../ErrorStore.js"
import type { TaskRow as Row } from "./schema.js"
import { type RunnerInfo, SharedQueue } from "./SharedQueue.js"

/** What the shared queue takes from the store it is part of. */
export interface SharedQueueParts {
  readonly location: string
  readonly leaseSeconds: number
  /** How often a lease is renewed. */
  readonly renewEvery: Duration.Duration
  /** A failure of the database as the queue's error. */
  readonly fail: (e: { readonly message: string }) => QueueError
  readonly decode: (row: Row) => Effect.Effect<TaskRecord, RecordDecodeError>
  /** Keeps renewing the lease of a task `runner` claimed until it leaves in_progress. */
  readonly startHeartbeat: (id: string, runner: string) => Effect.Effect<unknown>
  readonly errors: ErrorStore["Service"]
}

const RunnerTasks = Schema.fromJsonString(
  Schema.Array(Schema.Struct({ id: Schema.String, lease: Schema.NullOr(Schema.String) }))
)

export const makePgSharedQueue = Effect.fnUntraced(function* (parts: SharedQueueParts) {
  const sql = yield* SqlClient
  const { location, leaseSeconds, renewEvery, fail, decode, startHeartbeat, errors } = parts
  /** SQL failures as the queue's error; the store's own errors pass through. */
  const q = <A, E extends { readonly _tag: string }, R>(e: Effect.Effect<A, E | SqlError, R>) =>
    Effect.mapError(e, (err) => (isSqlError(err) ? fail(err) : err))

  const reapExpired = sql
    .withTransaction(
      Effect.gen(function* () {
        const now = yield* nowIso
        // each expired row is taken by one reaper only (SKIP LOCKED), so each task fails once
        const rows = yield* sql<Row & { readonly old: string }>`UPDATE taskq_tasks t SET
            status = 'failed',
            lease_expires_at = NULL,
            record = (t.record - '{runner}'::text[]) || jsonb_build_object(
              'status', 'failed', 'updated_at', ${now}::text, 'finished_at', ${now}::text,
              'error', 'its runner (' || coalesce(t.record->>'runner', '?') || ') stopped renewing its lease')
          FROM (SELECT id, record FROM taskq_tasks
                WHERE status = 'in_progress' AND lease_expires_at < now() FOR UPDATE SKIP LOCKED) e
          WHERE t.id = e.id
          RETURNING t.seq::text AS seq, t.record::text AS record, e.record::text AS old`
        const olds = yield* Effect.forEach(rows, (r) => decode({ seq: r.seq, record: r.old }))
        for (const task of olds) {
          const message = `its runner (${task.runner ?? "?"}) stopped renewing its lease`
          yield* errors.write(runnerGoneReport(task, message, "LeaseExpired", now))
        }
        return olds
      })
    )
    .pipe((e) => q(e), Effect.withSpan("SharedQueue.reapExpired"))

  const claimNext = Effect.fn("SharedQueue.claimNext")(function* (
    runner: string,
    patch?: { readonly started_at?: string }
  ) {
    const now = yield* nowIso
    const set = JSON.stringify({ status: "in_progress", updated_at: now, runner, ...patch })
    const rows = yield* sql<Row>`UPDATE taskq_tasks SET status = 'in_progress',
        record = (record - '{finished_at,error}'::text[]) || ${set}::jsonb,
        lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
      WHERE id = (SELECT id FROM taskq_tasks WHERE status = 'todo' ORDER BY seq
                  FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING seq::text AS seq, record::text AS record`.pipe(Effect.mapError(fail))
    if (rows[0] === undefined) return Option.none<TaskRecord>()
    const record = yield* decode(rows[0])
    yield* startHeartbeat(record.id, runner)
    return Option.some(record)
  })

  const registerRunner = Effect.fn("SharedQueue.registerRunner")(function* (runner: string, host: string) {
    const upsert = sql`INSERT INTO taskq_runners (id, host, lease_expires_at)
      VALUES (${runner}, ${host}, now() + make_interval(secs => ${leaseSeconds}))
      ON CONFLICT (id) DO UPDATE SET seen_at = now(), lease_expires_at = EXCLUDED.lease_expires_at`
    yield* Effect.acquireRelease(upsert.pipe(Effect.mapError(fail)), () =>
      sql`DELETE FROM taskq_runners WHERE id = ${runner}`.pipe(Effect.ignore)
    )
    yield* Effect.forkScoped(
      sql`UPDATE taskq_runners SET seen_at = now(),
          lease_expires_at = now() + make_interval(secs => ${leaseSeconds}) WHERE id = ${runner}`.pipe(
        Effect.ignore,
        Effect.repeat(Schedule.spaced(renewEvery))
      )
    )
  })

  const runners = Effect.gen(function* () {
    const rows = yield* sql<{
      readonly id: string
      readonly host: string
      readonly started_at: string
      readonly seen_at: string
      readonly lease: string
      readonly draining: boolean | string
      readonly tasks: string
    }>`SELECT r.id, r.host, to_json(r.started_at)#>>'{}' AS started_at, to_json(r.seen_at)#>>'{}' AS seen_at,
          to_json(r.lease_expires_at)#>>'{}' AS lease, r.draining::text AS draining,
          coalesce((SELECT json_agg(json_build_object('id', t.id, 'lease', t.lease_expires_at) ORDER BY t.seq)
                    FROM taskq_tasks t WHERE t.status = 'in_progress' AND t.record->>'runner' = r.id),
                   '[]')::text AS tasks
        FROM taskq_runners r WHERE r.lease_expires_at > now() ORDER BY r.host, r.id`.pipe(Effect.mapError(fail))
    return yield* Effect.forEach(rows, (r) =>
      Schema.decodeUnknownEffect(RunnerTasks)(r.tasks).pipe(
        Effect.mapError(fail),
        Effect.map((tasks): RunnerInfo => ({
          id: r.id,
          host: r.host,
          startedAt: r.started_at,
          seenAt: r.seen_at,
          leaseExpiresAt: r.lease,
          draining: r.draining === true || r.draining === "true",
          tasks: tasks.map((t) => ({ id: t.id, leaseExpiresAt: t.lease ?? undefined }))
        }))
      )
    )
  }).pipe(Effect.withSpan("SharedQueue.runners"))

  return SharedQueue.of({
    location,
    leaseSeconds,
    prompt: Effect.fn("SharedQueue.prompt")(function* (id: string) {
      const rows = yield* sql<{ readonly body: string }>`SELECT body FROM taskq_task_files
        WHERE id = ${id}`.pipe(Effect.mapError(fail))
      return rows[0] ? rows[0].body : yield* new TaskNotFound({ id })
    }),
    reapExpired,
    claimNext,
    registerRunner,
    drain: Effect.fn("SharedQueue.drain")(function* (runner: string) {
      yield* sql`UPDATE taskq_runners SET draining = true WHERE id = ${runner}`.pipe(Effect.mapError(fail))
    }),
    runners
  })
})
