/**
 * TaskRepository, ErrorStore and SharedQueue over PostgreSQL. The record is the one Schema's JSON in
 * a jsonb column; every change is one SQL statement, so the state machine holds across hosts: a
 * transition is `UPDATE … WHERE id = … AND status IN (<the table's from-states>)`.
 */
import { Context, Duration, Effect, FiberMap, Layer, Option, Schedule, Schema } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { isSqlError, type SqlError } from "effect/sql/SqlError"
import {
  DuplicateTask,
  ExitCode,
  InvalidTransition,
  QueueError,
  RecordDecodeError,
  TaskNotFound
} from "../../core/errors.js"
import { patchFieldNames, runtimeFieldNames, TaskRecord, TaskRecordFromJson, type TaskStatus } from "../../core/task.js"
import { nowIso } from "../../core/time.js"
import { type Move, transitionTable } from "../../core/transitions.js"
import { ErrorReport, ErrorStore } from "../ErrorStore.js"
import { type NewTask, type RuntimePatch, TaskRepository } from "../TaskRepository.js"
import { type RunnerInfo, SharedQueue } from "./SharedQueue.js"
import { migrate } from "./schema.js"

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

interface Row {
  readonly seq: string
  readonly record: string
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
              yield* errors.write({
                task_id: task.id,
                attempt: task.attempt,
                stage: "runner",
                exit_code: ExitCode.Killed,
                stdout: "",
                stderr: message,
                message,
                cause_tag: "LeaseExpired",
                created_at: now
              })
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

      const shared = SharedQueue.of({
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

      return Context.make(TaskRepository, repository).pipe(
        Context.add(ErrorStore, errors),
        Context.add(SharedQueue, shared)
      )
    })
  )

const RunnerTasks = Schema.fromJsonString(
  Schema.Array(Schema.Struct({ id: Schema.String, lease: Schema.NullOr(Schema.String) }))
)
