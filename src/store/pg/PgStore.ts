/**
 * TaskRepository, ErrorStore and SharedQueue over PostgreSQL. The record is the one Schema's JSON in
 * a jsonb column; every change is one SQL statement, so the state machine holds across hosts: a
 * transition is `UPDATE … WHERE id = … AND status IN (<the table's from-states>)`.
 * SharedQueue's own statements (claims, leases, runners) are in pgSharedQueue.ts.
 */
import { Context, Duration, Effect, FiberMap, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { isSqlError, type SqlError } from "effect/sql/SqlError"
import { DuplicateTask, InvalidTransition, QueueError, RecordDecodeError, TaskNotFound } from "../../core/errors.js"
import { patchFieldNames, runtimeFieldNames, TaskRecord, TaskRecordFromJson, type TaskStatus } from "../../core/task.js"
import { nowIso } from "../../core/time.js"
import { type Move, transitionTable } from "../../core/transitions.js"
import { ErrorReport, ErrorStore } from "../ErrorStore.js"
import { type NewTask, type RuntimePatch, TaskRepository } from "../TaskRepository.js"
import { SharedQueue } from "./SharedQueue.js"
import { makePgSharedQueue } from "./pgSharedQueue.js"
import { migrate, type TaskRow as Row } from "./schema.js"

export interface PgStoreOptions {
  /** The queue's URL without its password, for messages. */
  readonly location: string
  /** Seconds a claim stays valid without renewal (default 60). */
  readonly leaseSeconds: number
}

const decodeRecord = Schema.decodeUnknownEffect(TaskRecordFromJson)
const decodeList = Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Array(TaskRecord)))
const decodeReport = Schema.decodeUnknownEffect(Schema.fromJsonString(ErrorReport))

/** A PostgreSQL text[] literal of plain identifiers (field names, statuses). */
const textArray = (xs: ReadonlyArray<string>) => `{${xs.join(",")}}`

/** A runtime patch as the keys to drop and the object to merge. */
const patchParts = (patch: RuntimePatch | undefined) => {
  const drop: Array<string> = []
  const set: Record<string, unknown> = {}
  for (const k of patchFieldNames) {
    if (!patch || !(k in patch)) continue
    const v = patch[k]
    if (v === null || v === undefined) drop.push(k)
    else set[k] = v
  }
  return { drop: textArray(drop), set: JSON.stringify(set) }
}

/** The three services over the `SqlClient` in context; migrates the database first if needed. */
export const pgStoreLayer = (options: PgStoreOptions) =>
  Layer.effectContext(
    Effect.gen(function* () {
      const sql = yield* SqlClient
      const { location, leaseSeconds } = options
      const fail = (e: { readonly message: string }) => new QueueError({ path: location, reason: e.message })
      /** SQL failures as the queue's error; the store's own errors pass through. */
      const q = <A, E extends { readonly _tag: string }, R>(e: Effect.Effect<A, E | SqlError, R>) =>
        Effect.mapError(e, (err) => (isSqlError(err) ? fail(err) : err))
      yield* migrate().pipe(Effect.mapError(fail))

      const decode = (row: Row) =>
        decodeRecord(row.record).pipe(
          Effect.mapError(
            (e) =>
              new RecordDecodeError({
                file: `${location} taskq_tasks`,
                line: Number(row.seq),
                reason: e.message.split("\n").join("; ")
              })
          )
        )
      const decodeAll = (rows: ReadonlyArray<Row>) => Effect.forEach(rows, decode)
      const statusOf = (id: string) =>
        sql<{ readonly status: TaskStatus }>`SELECT status FROM taskq_tasks WHERE id = ${id}`.pipe(
          Effect.map((rows) => Option.fromNullishOr(rows[0]?.status)),
          Effect.mapError(fail)
        )
      /** Why a guarded statement changed nothing: the task is missing, or its status refused the move. */
      const refusal = Effect.fnUntraced(function* (id: string, move: string) {
        const status = yield* statusOf(id)
        return yield* Option.isNone(status)
          ? Effect.fail(new TaskNotFound({ id }))
          : Effect.fail(new InvalidTransition({ id, status: status.value, move }))
      })

      // leases: a heartbeat per task this process claimed, renewing until the task leaves in_progress
      const heartbeats = yield* FiberMap.make<string>()
      const renewEvery = Duration.seconds(Math.max(1, Math.floor(leaseSeconds / 3)))
      const renew = (id: string, runner: string) =>
        sql<{ readonly id: string }>`UPDATE taskq_tasks
          SET lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
          WHERE id = ${id} AND status = 'in_progress' AND record->>'runner' = ${runner} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          // a database blip is not a lost lease: try again at the next beat
          Effect.catch(() => Effect.succeed(true))
        )
      const startHeartbeat = (id: string, runner: string) =>
        FiberMap.run(
          heartbeats,
          id,
          renew(id, runner).pipe(Effect.delay(renewEvery), Effect.repeat({ until: (held) => !held }), Effect.asVoid)
        )

      const transition = Effect.fn("TaskRepository.transition")(function* (
        id: string,
        move: Move,
        patch?: RuntimePatch
      ) {
        const rule = transitionTable[move]
        const now = yield* nowIso
        const p = patchParts(patch)
        const retryDrop = textArray(move === "retry" ? runtimeFieldNames : [])
        const moved = JSON.stringify({ status: rule.to, updated_at: now })
        const from = textArray(rule.from)
        // a claim skips a row another runner is claiming this instant instead of waiting for it
        const skipLocked = sql.literal(move === "run" ? "FOR UPDATE SKIP LOCKED" : "")
        const lease = sql.literal(rule.to === "in_progress" ? `now() + make_interval(secs => ${leaseSeconds})` : "NULL")
        const rows = yield* sql<Row>`UPDATE taskq_tasks SET
            status = ${rule.to},
            record = ((((record - ${retryDrop}::text[])
              || jsonb_build_object('attempt', (record->>'attempt')::int + ${move === "retry" ? 1 : 0}))
              || ${moved}::jsonb) - ${p.drop}::text[]) || ${p.set}::jsonb,
            lease_expires_at = ${lease}
          WHERE id = (SELECT id FROM taskq_tasks WHERE id = ${id} AND status = ANY(${from}::text[]) ${skipLocked})
            AND status = ANY(${from}::text[])
          RETURNING seq::text AS seq, record::text AS record`.pipe(Effect.mapError(fail))
        const row = rows[0]
        if (row === undefined) return yield* refusal(id, move)
        const record = yield* decode(row)
        if (rule.to === "in_progress" && record.runner !== undefined) yield* startHeartbeat(id, record.runner)
        if (rule.to !== "in_progress") yield* FiberMap.remove(heartbeats, id)
        return record
      })

      const repository = TaskRepository.of({
        // one array, one decode pass (10,000 records); a bad record is then found row by row to name it
        list: sql<{
          readonly records: string
        }>`SELECT coalesce(json_agg(record ORDER BY seq), '[]')::text AS records FROM taskq_tasks`.pipe(
          Effect.mapError(fail),
          Effect.flatMap((rows) => decodeList(rows[0]?.records ?? "[]")),
          Effect.catchTag("SchemaError", () =>
            sql<Row>`SELECT seq::text AS seq, record::text AS record FROM taskq_tasks ORDER BY seq`.pipe(
              Effect.mapError(fail),
              Effect.flatMap(decodeAll)
            )
          ),
          Effect.withSpan("TaskRepository.list")
        ),
        get: Effect.fn("TaskRepository.get")(function* (id: string) {
          const rows = yield* sql<Row>`SELECT seq::text AS seq, record::text AS record FROM taskq_tasks
            WHERE id = ${id}`.pipe(Effect.mapError(fail))
          return rows[0] ? yield* decode(rows[0]) : yield* new TaskNotFound({ id })
        }),
        add: Effect.fn("TaskRepository.add")(
          function* ({ record, prompt }: NewTask) {
            const json = Schema.encodeSync(TaskRecordFromJson)(record)
            const inserted = yield* sql<{ readonly id: string }>`INSERT INTO taskq_tasks (id, status, record)
              VALUES (${record.id}, ${record.status}, ${json}::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id`
            if (inserted.length === 0) return yield* new DuplicateTask({ id: record.id })
            yield* sql`INSERT INTO taskq_task_files (id, body) VALUES (${record.id}, ${prompt})
              ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`
            return record
          },
          sql.withTransaction,
          q
        ),
        transition,
        updateRuntime: Effect.fn("TaskRepository.updateRuntime")(function* (id: string, patch: RuntimePatch) {
          const p = patchParts(patch)
          const stamp = JSON.stringify({ updated_at: yield* nowIso })
          const rows = yield* sql<Row>`UPDATE taskq_tasks
            SET record = ((record - ${p.drop}::text[]) || ${p.set}::jsonb) || ${stamp}::jsonb
            WHERE id = ${id} RETURNING seq::text AS seq, record::text AS record`.pipe(Effect.mapError(fail))
          return rows[0] ? yield* decode(rows[0]) : yield* new TaskNotFound({ id })
        }),
        remove: Effect.fn("TaskRepository.remove")(
          function* (id: string, options?: { readonly purge?: boolean }) {
            const rows = yield* sql<Row>`DELETE FROM taskq_tasks WHERE id = ${id} AND status <> 'in_progress'
              RETURNING seq::text AS seq, record::text AS record`
            if (rows[0] === undefined) return yield* refusal(id, "remove")
            if (options?.purge) yield* sql`DELETE FROM taskq_task_files WHERE id = ${id}`
            return yield* decode(rows[0])
          },
          sql.withTransaction,
          q
        )
      })

      const errors = ErrorStore.of({
        write: Effect.fn("ErrorStore.write")(function* (report: ErrorReport) {
          yield* sql`INSERT INTO taskq_errors (task_id, report)
            VALUES (${report.task_id}, ${JSON.stringify(report)}::jsonb)
            ON CONFLICT (task_id) DO UPDATE SET report = EXCLUDED.report`.pipe(Effect.mapError(fail))
          return `${location} taskq_errors/${report.task_id}`
        }),
        read: Effect.fn("ErrorStore.read")(function* (id: string) {
          const rows = yield* sql<{ readonly report: string }>`SELECT report::text AS report FROM taskq_errors
            WHERE task_id = ${id}`.pipe(Effect.mapError(fail))
          if (!rows[0]) return Option.none<ErrorReport>()
          return yield* decodeReport(rows[0].report).pipe(
            Effect.map(Option.some),
            Effect.mapError((e) => fail({ message: `error report of ${id}: ${e.message}` }))
          )
        }),
        remove: Effect.fn("ErrorStore.remove")(function* (id: string) {
          const rows = yield* sql<{
            readonly task_id: string
          }>`DELETE FROM taskq_errors WHERE task_id = ${id} RETURNING task_id`.pipe(Effect.mapError(fail))
          return rows.length > 0
        })
      })
      const shared = yield* makePgSharedQueue({
        location,
        leaseSeconds,
        renewEvery,
        fail,
        decode,
        startHeartbeat,
        errors
      })

      return Context.make(TaskRepository, repository).pipe(
        Context.add(ErrorStore, errors),
        Context.add(SharedQueue, shared)
      )
    })
  )
