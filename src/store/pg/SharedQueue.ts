/**
 * What a queue shared by several hosts (PostgreSQL) offers beyond TaskRepository/ErrorStore: the
 * task markdown from the database, leases, runners. Only the service tag lives here, so the
 * pipeline can ask for it (`Effect.serviceOption`) without loading the PostgreSQL client; the JSONL
 * queue does not provide it.
 */
import { Context, Effect, Option, type Scope } from "effect"
import type { TaskNotFound } from "../../core/errors.js"
import type { TaskRecord } from "../../core/task.js"
import { QueuePaths } from "../../support/paths.js"
import { readPrompt as readPromptFile } from "../../support/taskFiles.js"
import type { StoreError } from "../TaskRepository.js"

export interface RunnerInfo {
  readonly id: string
  readonly host: string
  readonly startedAt: string
  readonly seenAt: string
  readonly leaseExpiresAt: string
  readonly draining: boolean
  /** The tasks it holds, with the expiry of each lease. */
  readonly tasks: ReadonlyArray<{ readonly id: string; readonly leaseExpiresAt: string | undefined }>
}

export class SharedQueue extends Context.Service<
  SharedQueue,
  {
    /** Where the queue is, for messages (password removed). */
    readonly location: string
    /** Lease length in seconds. */
    readonly leaseSeconds: number
    /** The task markdown stored with the record. */
    readonly prompt: (id: string) => Effect.Effect<string, StoreError | TaskNotFound>
    /**
     * Fails every in-progress task whose lease expired (stage `runner`, error report written), each
     * exactly once whichever runner gets there first; returns the tasks as they were.
     */
    readonly reapExpired: Effect.Effect<ReadonlyArray<TaskRecord>, StoreError>
    /** Claims the oldest todo task nobody else is claiming (`FOR UPDATE SKIP LOCKED`) for `runner`. */
    readonly claimNext: (
      runner: string,
      patch?: { readonly started_at?: string }
    ) => Effect.Effect<Option.Option<TaskRecord>, StoreError>
    /** Registers this process as a live runner (renewed by a heartbeat until the scope closes). */
    readonly registerRunner: (runner: string, host: string) => Effect.Effect<void, StoreError, Scope.Scope>
    /** Marks this runner as draining: it takes no new tasks. */
    readonly drain: (runner: string) => Effect.Effect<void, StoreError>
    /** Live runners (lease not expired) and the tasks each holds. */
    readonly runners: Effect.Effect<ReadonlyArray<RunnerInfo>, StoreError>
  }
>()("taskq/store/SharedQueue") {}

/** The prompt of `task`: from the shared queue when there is one, else the task markdown file. */
export const readPrompt = Effect.fnUntraced(function* (task: TaskRecord) {
  const shared = yield* Effect.serviceOption(SharedQueue)
  if (Option.isSome(shared)) return yield* shared.value.prompt(task.id)
  // the file's path comes from the validated id, confined to the queue; a link there is refused
  return yield* readPromptFile(yield* QueuePaths, task.id)
})
