/**
 * Encoding and decoding of `tasks.jsonl` through the one task record Schema. Fields this version
 * does not know (written by a newer taskq, or by hand) are kept and written back unchanged.
 */
import { Effect, Predicate, Result, Schema } from "effect"
import { RecordDecodeError } from "../core/errors.js"
import { TaskRecord } from "../core/task.js"

const JsonObject = Schema.Record(Schema.String, Schema.Unknown)
const decodeObject = Schema.decodeUnknownEffect(Schema.fromJsonString(JsonObject))
const decodeRecord = Schema.decodeUnknownEffect(TaskRecord)
const encodeRecord = Schema.encodeSync(TaskRecord)
const knownKeys: ReadonlySet<string> = new Set(Object.keys(TaskRecord.fields))
// Unknown elements, not JsonObject: Record(String, Unknown) costs 3x as much on 10,000 lines, and
// Array(TaskRecord) below checks that each element is an object anyway
const decodeObjects = Schema.decodeUnknownResult(Schema.fromJsonString(Schema.Array(Schema.Unknown)))
const decodeRecords = Schema.decodeUnknownResult(Schema.Array(TaskRecord))

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
 * The whole file in one Schema decode (about 3x faster than line by line on 10,000 records: start-up
 * of `taskq status`). Undefined when anything is off; the line-by-line decode then names the line.
 */
const decodeInBulk = (lines: ReadonlyArray<string>): DecodedTasks | undefined => {
  const texts = lines.filter((l) => l.trim() !== "").map((l) => l.trim())
  // every line one JSON object, so the array's elements are the file's lines
  if (!texts.every((l) => l.startsWith("{") && l.endsWith("}"))) return undefined
  const objects = decodeObjects(`[${texts.join(",")}]`)
  if (Result.isFailure(objects) || objects.success.length !== texts.length) return undefined
  const records = decodeRecords(objects.success)
  if (Result.isFailure(records) || new Set(records.success.map((r) => r.id)).size !== texts.length) return undefined
  const unknown = new Map<string, Record<string, unknown>>()
  records.success.forEach((r, i) => {
    const object = objects.success[i]
    const extra = Predicate.isObject(object) ? unknownOf(object) : undefined
    if (extra) unknown.set(r.id, extra)
  })
  return { records: records.success, unknown }
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
  const bulk = decodeInBulk(lines)
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
