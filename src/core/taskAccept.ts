/**
 * The fast path of reading a queue: `acceptTaskRecord` takes a record every field of which the
 * TaskRecord Schema accepts as it is, and returns what the Schema's decode would (its known keys, in
 * its order). Anything else (steps, an odd value, a bad field) is `undefined`, and the caller decodes
 * it with the Schema, which alone says what is wrong. It only ever accepts, so the Schema stays the
 * one definition of a record: test/core/taskAccept.test.ts checks, field by field, that whatever it
 * accepts the Schema decodes to the same. On 10,000 records it is ~30x faster than the decode
 * (start-up of `taskq status`, bench/startup.sh).
 */
import { isAbsolutePath, isRepoLocation, TaskRecord, TaskStatus } from "./task.js"
import { MAX_ID_LENGTH } from "./ids.js"

type FieldName = keyof typeof TaskRecord.fields

const isString = (v: unknown): v is string => typeof v === "string"
const statuses: ReadonlySet<unknown> = new Set(TaskStatus.literals)
const int = (v: unknown): boolean => Number.isSafeInteger(v)
const string = (v: unknown): boolean => isString(v)
const absolutePath = (v: unknown): boolean => isString(v) && isAbsolutePath(v)
/** What `validateTaskId` takes: allowed characters only, not starting with a dot, at most 64. */
const plainTaskId = new RegExp(`^(?!\\.)[A-Za-z0-9._-]{1,${MAX_ID_LENGTH}}$`)
/** Never: the field is left to the Schema. */
const schemaOnly = (): boolean => false
/** `2026-11-26T08:00:00.000Z`, or with a `+hh:mm` offset: the parts of a timestamp taskq writes. */
const timestampParts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
const daysIn = (y: number, m: number) => (m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31)
/** A timestamp whose every part is in range, so `Date.parse` takes it: the Schema's check without the parse. */
const timestamp = (v: unknown): boolean => {
  const m = typeof v === "string" ? timestampParts.exec(v) : null
  if (m === null) return false
  const [month, day, hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])]
  const offsetInRange = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59)
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(Number(m[1]), month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetInRange
  )
}

/**
 * Each field of the Schema: whether a record must have it, and what value it accepts. Typed by the
 * Schema's own field names, so a field added there without a check here does not compile.
 */
const checks: { readonly [K in FieldName]: readonly [required: boolean, accepts: (v: unknown) => boolean] } = {
  id: [true, (v) => isString(v) && plainTaskId.test(v)],
  repo: [true, (v) => isString(v) && isRepoLocation(v)],
  base: [true, string],
  branch: [true, string],
  worktree_path: [true, absolutePath],
  status: [true, (v) => statuses.has(v)],
  attempt: [true, (v) => int(v) && (v as number) >= 1],
  created_at: [true, timestamp],
  updated_at: [true, timestamp],
  task_file: [true, string],
  steps: [false, schemaOnly],
  container: [false, string],
  port: [false, int],
  session_id: [false, string],
  base_sha: [false, string],
  opencode_attempt_dir: [false, string],
  opencode_config_dir: [false, string],
  opencode_data_dir: [false, string],
  started_at: [false, timestamp],
  finished_at: [false, timestamp],
  error: [false, string],
  runner: [false, string],
  host: [false, string],
  created_worktree: [false, absolutePath],
  created_worktree_admin: [false, absolutePath],
  created_branch: [false, string]
}
const fields = Object.keys(TaskRecord.fields) as ReadonlyArray<FieldName>
const byName: ReadonlyMap<
  string,
  { readonly index: number; readonly required: boolean; accepts(v: unknown): boolean }
> = new Map(fields.map((f, index) => [f, { index, required: checks[f][0], accepts: checks[f][1] }]))
const requiredCount = fields.filter((f) => checks[f][0]).length

/**
 * `value` as the TaskRecord Schema would decode it, when the fast checks can tell; else undefined.
 * A record with only the Schema's keys, in its order (as taskq writes them), is returned as it is.
 */
export const acceptTaskRecord = (value: unknown): TaskRecord | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const object = value as Readonly<Record<string, unknown>>
  let last = -1
  let required = 0
  for (const key of Object.keys(object)) {
    const field = byName.get(key)
    if (field === undefined || field.index < last) return copyOfKnown(object)
    if (!field.accepts(object[key])) return undefined
    last = field.index
    if (field.required) required++
  }
  return required === requiredCount ? (object as TaskRecord) : undefined
}

/** A record with unknown fields, or its fields in another order: its known fields, in the Schema's order. */
const copyOfKnown = (object: Readonly<Record<string, unknown>>): TaskRecord | undefined => {
  const record: Record<string, unknown> = {}
  for (const field of fields) {
    if (!Object.hasOwn(object, field)) {
      if (checks[field][0]) return undefined
      continue
    }
    const v = object[field]
    if (!checks[field][1](v)) return undefined
    record[field] = v
  }
  return record as TaskRecord
}
