/** The task record: one Schema, snake_case keys, the only shape the store reads and writes. */
import { Result, Schema } from "effect"
import { validateTaskId } from "./ids.js"
import { Step } from "./steps.js"

export const TaskStatus = Schema.Literals(["todo", "in_progress", "review", "done", "failed", "cancelled"])
export type TaskStatus = typeof TaskStatus.Type
export const taskStatuses: ReadonlyArray<TaskStatus> = TaskStatus.literals

const Timestamp = Schema.String.check(
  Schema.makeFilter((s: string) => isUtcIso(s) || "expected a timezone-aware ISO-8601 timestamp")
)
/** What the record's path fields accept (see `AbsolutePath`). */
export const isAbsolutePath = (s: string): boolean => s.startsWith("/")
/** What the record's `repo` accepts (see `RepoLocation`). */
export const isRepoLocation = (s: string): boolean => s.startsWith("/") || /^(file|ssh|https?|git):\/\/./.test(s)
/** A task id, checked when read as well as when written: it names files and folders of the queue. */
export const TaskId = Schema.String.check(
  Schema.makeFilter((s: string) =>
    Result.match(validateTaskId(s), { onFailure: (e) => e.message, onSuccess: () => true })
  )
).pipe(Schema.brand("TaskId"))
export type TaskId = typeof TaskId.Type
/** Paths in a record are absolute: a relative one would depend on where taskq happens to run. */
const AbsolutePath = Schema.String.check(
  Schema.makeFilter((s: string) => isAbsolutePath(s) || `expected an absolute path, got ${JSON.stringify(s)}`)
)
/** A repository: an absolute path, or a git URL runners mirror (SPEC §6). */
const RepoLocation = Schema.String.check(
  Schema.makeFilter(
    (s: string) => isRepoLocation(s) || `expected an absolute path or a git URL, got ${JSON.stringify(s)}`
  )
)
const opt = <S extends Schema.Top>(s: S) => Schema.optionalKey(s)

/** Fields that exist only while an attempt lives; `retry` and `cleanup` clear them. */
export const runtimeFieldNames = [
  "container",
  "port",
  "session_id",
  "base_sha",
  "opencode_attempt_dir",
  "opencode_config_dir",
  "opencode_data_dir",
  "started_at",
  "finished_at",
  "error",
  "runner",
  "host"
] as const
export type RuntimeFieldName = (typeof runtimeFieldNames)[number]

/**
 * What taskq itself created for the task, and therefore the only things `cleanup` and
 * `--cleanup-on-fail` may remove or commit to: kept across retries, cleared once removed.
 */
export const ownedFieldNames = ["created_worktree", "created_worktree_admin", "created_branch"] as const
export type OwnedFieldName = (typeof ownedFieldNames)[number]
/** Fields a store patch may set or remove (`updateRuntime`, `transition`'s patch). */
export const patchFieldNames = [...runtimeFieldNames, ...ownedFieldNames] as const
export type PatchFieldName = (typeof patchFieldNames)[number]

export const TaskRecord = Schema.Struct({
  id: TaskId,
  repo: RepoLocation,
  base: Schema.String,
  branch: Schema.String,
  worktree_path: AbsolutePath,
  status: TaskStatus,
  attempt: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  created_at: Timestamp,
  updated_at: Timestamp,
  task_file: Schema.String,
  /** The steps the agent runs (SPEC §3); absent: the queue's default, else one step with the task body. */
  steps: opt(Schema.Array(Step)),
  container: opt(Schema.String),
  port: opt(Schema.Int),
  session_id: opt(Schema.String),
  base_sha: opt(Schema.String),
  opencode_attempt_dir: opt(Schema.String),
  opencode_config_dir: opt(Schema.String),
  opencode_data_dir: opt(Schema.String),
  started_at: opt(Timestamp),
  finished_at: opt(Timestamp),
  error: opt(Schema.String),
  /** `<host>:<pid>` of the taskq process running the attempt, so a dead runner's task can be recovered. */
  runner: opt(Schema.String),
  /** The host whose runner ran the attempt (kept in review): where its container and worktree are. */
  host: opt(Schema.String),
  /** The worktree taskq added (`git worktree add`), its admin dir, and the branch it created, if it did. */
  created_worktree: opt(AbsolutePath),
  created_worktree_admin: opt(AbsolutePath),
  created_branch: opt(Schema.String)
})
export type TaskRecord = typeof TaskRecord.Type
export type RuntimeFields = Pick<TaskRecord, PatchFieldName>

/** One JSONL line <-> a task record. */
export const TaskRecordFromJson = Schema.fromJsonString(TaskRecord)

/** What the record's timestamps accept: ISO-8601 with a timezone, a real date. */
export function isUtcIso(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s))
}

/** The record without its runtime fields. */
export const withoutRuntime = (r: TaskRecord): TaskRecord => {
  const copy: Record<string, unknown> = { ...r }
  for (const k of runtimeFieldNames) delete copy[k]
  return copy as TaskRecord
}
