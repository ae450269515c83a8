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
const absolutePath = (v: unknown): boolean => isString(v) && isAbsolutePath(v)
/** What `validateTaskId` takes: allowed characters only, not starting with a dot, at most 64. */
const plainTaskId = new RegExp(`^(?!\\.)[A-Za-z0-9._-]{1,${MAX_ID_LENGTH}}$`)
/** Never: the field is left to the Schema. */
const schemaOnly = (): boolean => false
const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
const daysIn = (y: number, m: number) => (m === 2 && isLeapYear(y) ? 29 : (monthDays[m - 1] ?? 0))
const isDigit = (code: number) => code >= 48 && code <= 57
/** The two-digit number at `at`, or -1 when it is not two digits. */
const twoDigits = (s: string, at: number) =>
  isDigit(s.charCodeAt(at)) && isDigit(s.charCodeAt(at + 1))
    ? (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48
    : -1

/**
 * `2026-11-26T08:00:00.000Z` or with a `+hh:mm` offset, every part in range, so `Date.parse` takes it:
 * the Schema's check without the parse, read character by character (20,000 of them at start-up).
 */
const timestamp = (v: unknown): boolean => {
  if (typeof v !== "string" || v.length < 20) return false
  if (v[4] !== "-" || v[7] !== "-" || v[10] !== "T" || v[13] !== ":" || v[16] !== ":") return false
  const century = twoDigits(v, 0)
  const year = twoDigits(v, 2)
  const month = twoDigits(v, 5)
  if (century < 0 || year < 0 || month < 1 || month > 12) return false
  const day = twoDigits(v, 8)
  if (day < 1 || day > daysIn(century * 100 + year, month)) return false
  const hour = twoDigits(v, 11)
  const minute = twoDigits(v, 14)
  const second = twoDigits(v, 17)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false
  let at = 19
  if (v[at] === ".") {
    const first = ++at
    while (at < v.length && isDigit(v.charCodeAt(at))) at++
    if (at === first || at - first > 9) return false
  }
  if (at === v.length - 1) return v[at] === "Z"
  if (at !== v.length - 6 || (v[at] !== "+" && v[at] !== "-") || v[at + 3] !== ":") return false
  const offsetHour = twoDigits(v, at + 1)
  const offsetMinute = twoDigits(v, at + 4)
  return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59
}

/**
 * Each field of the Schema: whether a record must have it, and what value it accepts. Typed by the
 * Schema's own field names, so a field added there without a check here does not compile.
 */
const checks: { readonly [K in FieldName]: readonly [required: boolean, accepts: (v: unknown) => boolean] } = {
  id: [true, (v) => isString(v) && plainTaskId.test(v)],
  repo: [true, (v) => isString(v) && isRepoLocation(v)],
  base: [true, isString],
  branch: [true, isString],
  worktree_path: [true, absolutePath],
  status: [true, (v) => statuses.has(v)],
  attempt: [true, (v) => int(v) && (v as number) >= 1],
  created_at: [true, timestamp],
  updated_at: [true, timestamp],
  task_file: [true, isString],
  steps: [false, schemaOnly],
  container: [false, isString],
  port: [false, int],
  session_id: [false, isString],
  base_sha: [false, isString],
  opencode_attempt_dir: [false, isString],
  opencode_config_dir: [false, isString],
  opencode_data_dir: [false, isString],
  started_at: [false, timestamp],
  finished_at: [false, timestamp],
  error: [false, isString],
  runner: [false, isString],
  host: [false, isString],
  created_worktree: [false, absolutePath],
  created_worktree_admin: [false, absolutePath],
  created_branch: [false, isString]
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
  // a plain object, as JSON.parse makes: no inherited keys for for…in, and the Schema's decode is one too
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined
  const object = value as Readonly<Record<string, unknown>>
  let last = -1
  let required = 0
  // for…in: no array of keys per record (a parsed line has no inherited enumerable keys)
  for (const key in object) {
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
