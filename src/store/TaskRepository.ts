/** The task queue: `tasks.jsonl` read and written only through the record Schema and the state machine. */
import { Context, Effect, FileSystem, Layer, Path, Result } from "effect"
import {
  DuplicateTask,
  InvalidTransition,
  QueueError,
  type RecordDecodeError,
  TaskNotFound,
  type UnsafePath
} from "../core/errors.js"
import type { PatchFieldName, RuntimeFields, TaskRecord } from "../core/task.js"
import { patchFieldNames, runtimeFieldNames } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { applyMove, type Move } from "../core/transitions.js"
import { TaskqConfig } from "../support/config.js"
import { confined, QueuePaths } from "../support/paths.js"
import { removeStaleTemps, writeFileAtomic } from "./atomicFile.js"
import { decodeTasksWithUnknown, encodeTasks } from "./jsonl.js"
import { acquireQueueLock } from "./queueLock.js"

/** Runtime (and ownership) fields to set; `null` removes the field. */
export type RuntimePatch = { readonly [K in PatchFieldName]?: RuntimeFields[K] | null }

export type StoreError = QueueError | RecordDecodeError | UnsafePath

export interface NewTask {
  readonly record: TaskRecord
  /** The prompt, written to `queue/tasks/<id>.md` together with the record. */
  readonly prompt: string
}

export class TaskRepository extends Context.Service<
  TaskRepository,
  {
    readonly list: Effect.Effect<ReadonlyArray<TaskRecord>, StoreError>
    readonly get: (id: string) => Effect.Effect<TaskRecord, StoreError | TaskNotFound>
    readonly add: (task: NewTask) => Effect.Effect<TaskRecord, StoreError | DuplicateTask>
    /** Applies a state-machine move (and an optional runtime patch) in one atomic write. */
    readonly transition: (
      id: string,
      move: Move,
      patch?: RuntimePatch
    ) => Effect.Effect<TaskRecord, StoreError | TaskNotFound | InvalidTransition>
    /** Changes runtime fields only; the status stays as it is. */
    readonly updateRuntime: (id: string, patch: RuntimePatch) => Effect.Effect<TaskRecord, StoreError | TaskNotFound>
    /** Deletes the record (and its markdown with `purge`); refused while the task is in progress. */
    readonly remove: (
      id: string,
      options?: { readonly purge?: boolean }
    ) => Effect.Effect<TaskRecord, StoreError | TaskNotFound | InvalidTransition>
  }
>()("taskq/store/TaskRepository") {
  /** The live repository over the queue at `QueuePaths`; bootstraps the queue layout. */
  static readonly layer = Layer.effect(
    TaskRepository,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const q = yield* QueuePaths
      const file = q.tasksFile
      const io = (e: { readonly message: string }) => new QueueError({ path: q.root, reason: e.message })
      const staleMs = (yield* TaskqConfig).values.lockStaleMs

      yield* Effect.forEach(
        [q.root, q.tasksDir, q.worktreesDir, q.errorsDir, q.opencodeDir],
        (d) => fs.makeDirectory(d, { recursive: true }),
        { discard: true }
      ).pipe(Effect.mapError(io))
      if (!(yield* fs.exists(file).pipe(Effect.mapError(io)))) {
        // "wx": two processes bootstrapping at once must not truncate each other's first record
        yield* fs.writeFileString(file, "", { flag: "wx" }).pipe(
          Effect.catchReason("PlatformError", "AlreadyExists", () => Effect.void),
          Effect.mapError(io)
        )
      }
      const provide = <A, E, R>(e: Effect.Effect<A, E, R>) =>
        e.pipe(Effect.provideService(FileSystem.FileSystem, fs), Effect.provideService(Path.Path, path))

      const readAll = fs.readFileString(file).pipe(
        Effect.mapError(io),
        Effect.flatMap((text) => decodeTasksWithUnknown(file, text))
      )
      const read = Effect.map(readAll, (d) => d.records)
      /** The task markdown's path, checked: inside queue/tasks, no link on the way. */
      const taskFile = (id: string) => provide(confined(q, q.tasksDir, q.taskFile(id)))

      /** Read-modify-write under the lock; `f` returns the new list and a result, or fails and nothing is written. */
      const modify = Effect.fnUntraced(function* <A, E>(
        f: (
          records: ReadonlyArray<TaskRecord>,
          now: string
        ) => Effect.Effect<readonly [ReadonlyArray<TaskRecord>, A], E>
      ) {
        const lock = yield* acquireQueueLock(file, staleMs)
        yield* provide(removeStaleTemps(file))
        const { records, unknown } = yield* readAll
        const [next, result] = yield* f(records, yield* nowIso)
        yield* lock.ensureHeld
        // fields this version does not know stay as they were (a newer taskq may have written them)
        yield* provide(writeFileAtomic(file, encodeTasks(next, unknown)))
        return result
      }, Effect.scoped)

      const find = (records: ReadonlyArray<TaskRecord>, id: string) => {
        const index = records.findIndex((r) => r.id === id)
        return index < 0
          ? Effect.fail(new TaskNotFound({ id }))
          : Effect.succeed([index, records[index] as TaskRecord] as const)
      }
      const replaceAt = (records: ReadonlyArray<TaskRecord>, index: number, r: TaskRecord) =>
        records.map((x, i) => (i === index ? r : x))

      const updateOne = <E>(id: string, f: (r: TaskRecord, now: string) => Effect.Effect<TaskRecord, E>) =>
        modify(
          Effect.fnUntraced(function* (records: ReadonlyArray<TaskRecord>, now: string) {
            const [index, current] = yield* find(records, id)
            const next = yield* f(current, now)
            return [replaceAt(records, index, next), next] as const
          })
        )

      return TaskRepository.of({
        list: read.pipe(Effect.withSpan("TaskRepository.list")),
        get: Effect.fn("TaskRepository.get")(function* (id: string) {
          const [, record] = yield* find(yield* read, id)
          return record
        }),
        add: Effect.fn("TaskRepository.add")(function* ({ record, prompt }: NewTask) {
          return yield* modify(
            Effect.fnUntraced(function* (records: ReadonlyArray<TaskRecord>) {
              if (records.some((r) => r.id === record.id)) return yield* new DuplicateTask({ id: record.id })
              yield* provide(writeFileAtomic(yield* taskFile(record.id), prompt))
              return [[...records, record], record] as const
            })
          )
        }),
        transition: Effect.fn("TaskRepository.transition")(function* (id: string, move: Move, patch?: RuntimePatch) {
          return yield* updateOne(id, (r, now) => {
            const moved = applyMove(r, move, now)
            return Result.isFailure(moved)
              ? Effect.fail(moved.failure)
              : Effect.succeed(patch ? applyPatch(moved.success, patch) : moved.success)
          })
        }),
        updateRuntime: Effect.fn("TaskRepository.updateRuntime")(function* (id: string, patch: RuntimePatch) {
          return yield* updateOne(id, (r, now) => Effect.succeed({ ...applyPatch(r, patch), updated_at: now }))
        }),
        remove: Effect.fn("TaskRepository.remove")(function* (id: string, options?: { readonly purge?: boolean }) {
          const removed = yield* modify(
            Effect.fnUntraced(function* (records: ReadonlyArray<TaskRecord>) {
              const [index, current] = yield* find(records, id)
              if (current.status === "in_progress")
                return yield* new InvalidTransition({ id, status: current.status, move: "remove" })
              // checked before anything changes: a markdown path that is not safe to delete keeps the record
              if (options?.purge) yield* taskFile(current.id)
              return [records.filter((_, i) => i !== index), current] as const
            })
          )
          // the markdown goes only once the record is gone: a failed write must not orphan the record
          if (options?.purge) {
            const md = yield* taskFile(removed.id)
            yield* fs.remove(md, { force: true }).pipe(Effect.mapError(io))
          }
          return removed
        })
      })
    })
  )
}

/** Sets or removes runtime fields of a record. */
export const applyPatch = (r: TaskRecord, patch: RuntimePatch): TaskRecord => {
  const out: Record<string, unknown> = { ...r }
  for (const k of patchFieldNames) {
    if (!(k in patch)) continue
    const v = patch[k]
    if (v === null || v === undefined) delete out[k]
    else out[k] = v
  }
  return out as TaskRecord
}

/** A patch that removes every runtime field. */
export const clearRuntimePatch: RuntimePatch = Object.fromEntries(runtimeFieldNames.map((k) => [k, null]))
