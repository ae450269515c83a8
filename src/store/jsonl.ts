/**
 * Encoding and decoding of `tasks.jsonl` through the one task record Schema. Fields this version
 * does not know (written by a newer taskq, or by hand) are kept and written back unchanged.
 */
import { Effect, Predicate, Result, Schema } from "effect"
import { RecordDecodeError } from "../core/errors.js"
import { TaskRecord } from "../core/task.js"
import { acceptTaskRecord } from "../core/taskAccept.js"

const JsonObject = Schema.Record(Schema.String, Schema.Unknown)
const decodeObject = Schema.decodeUnknownEffect(Schema.fromJsonString(JsonObject))
const decodeRecord = Schema.decodeUnknownEffect(TaskRecord)
const encodeRecord = Schema.encodeSync(TaskRecord)
const knownKeys: ReadonlySet<string> = new Set(Object.keys(TaskRecord.fields))
// the whole file as one JSON array; its elements are checked one by one below
const decodeJson = Schema.decodeUnknownResult(Schema.fromJsonString(Schema.Unknown))
const decodeRecordResult = Schema.decodeUnknownResult(TaskRecord)

/** The fields of a line that the record Schema does not know, by task id. */
export type UnknownFields = ReadonlyMap<string, Readonly<Record<string, unknown>>>

export interface DecodedTasks {
  readonly records: ReadonlyArray<TaskRecord>
  readonly unknown: UnknownFields
}

/** The fields of `object` that the record Schema does not know; undefined when there are none. */
const unknownOf = (object: Readonly<Record<string, unknown>>) => {
  let extra: Record<string, unknown> | undefined
  for (const k in object) if (!knownKeys.has(k)) (extra ??= {})[k] = object[k]
  return extra
}

/**
 * Whether every line break of `text` falls between JSON values: outside strings, objects and arrays.
 * Joined into one array, a line that is not JSON on its own (`{"}`) could otherwise merge with the
 * next into valid JSON, which the line-by-line decode would refuse.
 */
const linesAreWhole = (text: string): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // a backslash: the next character is escaped
      else if (c === 34) inString = false
      else if (c === 10) return false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) depth++
    else if (c === 125 || c === 93) depth--
    else if (c === 10 && depth !== 0) return false
  }
  return true
}

/**
 * The whole file at once (start-up of `taskq status` on a large queue): one JSON parse of the lines
 * joined into an array, then each record through the fast accept check, or the Schema where that
 * cannot tell. It takes exactly what the line-by-line decode takes: every line break between values,
 * as many values as non-blank lines (so each line holds one), lines as they are (no trimming of what
 * JSON does not call white space). Undefined when anything is off; the line-by-line decode then names
 * the line.
 */
const decodeInBulk = (text: string, lines: ReadonlyArray<string>): DecodedTasks | undefined => {
  const texts = lines.filter((l) => l.trim() !== "")
  if (!linesAreWhole(text)) return undefined
  const objects = Result.getOrUndefined(decodeJson(`[${texts.join(",")}]`))
  if (!Array.isArray(objects) || objects.length !== texts.length) return undefined
  const records: Array<TaskRecord> = []
  const unknown = new Map<string, Record<string, unknown>>()
  const ids = new Set<string>()
  for (const object of objects) {
    const fast = acceptTaskRecord(object)
    const record = fast ?? Result.getOrUndefined(decodeRecordResult(object))
    if (record === undefined || ids.has(record.id) || !Predicate.isObject(object)) return undefined
    ids.add(record.id)
    records.push(record)
    // the fast path hands back the line's own object only when it has no field the Schema lacks
    const extra = record === object ? undefined : unknownOf(object)
    if (extra) unknown.set(record.id, extra)
  }
  return { records, unknown }
}

const firstLine = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join("; ")

/**
 * Every record of the file, in file order, with the fields it did not know. The first bad line
 * (an invalid id included) or a repeated id is an error naming file:line; no record is acted on.
 */
export const decodeTasksWithUnknown = Effect.fnUntraced(function* (file: string, text: string) {
  const lines = text.split("\n")
  const bulk = decodeInBulk(text, lines)
  if (bulk !== undefined) return bulk
  const records: Array<TaskRecord> = []
  const unknown = new Map<string, Record<string, unknown>>()
  const seen = new Map<string, number>()
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ""
    if (line.trim() === "") continue
    const bad = (e: { readonly message: string }) =>
      new RecordDecodeError({ file, line: i + 1, reason: firstLine(e.message) })
    const object = yield* decodeObject(line).pipe(Effect.mapError(bad))
    const record = yield* decodeRecord(object).pipe(Effect.mapError(bad))
    const first = seen.get(record.id)
    if (first !== undefined) {
      return yield* new RecordDecodeError({
        file,
        line: i + 1,
        reason: `duplicate id ${record.id} (first at line ${first})`
      })
    }
    seen.set(record.id, i + 1)
    records.push(record)
    const extra = unknownOf(object)
    if (extra) unknown.set(record.id, extra)
  }
  return { records, unknown } satisfies DecodedTasks
})

/** Every record of the file, in file order (see `decodeTasksWithUnknown`). */
export const decodeTasks = (file: string, text: string) =>
  Effect.map(decodeTasksWithUnknown(file, text), (d) => d.records)

/** One line per record; a record's unknown fields follow its known ones. */
export const encodeTasks = (records: ReadonlyArray<TaskRecord>, unknown: UnknownFields = new Map()): string =>
  records.map((r) => JSON.stringify({ ...encodeRecord(r), ...unknown.get(r.id) }) + "\n").join("")
