/** Encoding and decoding of `tasks.jsonl` through the one task record Schema. */
import { Effect, Schema } from "effect"
import { RecordDecodeError } from "../core/errors.js"
import { type TaskRecord, TaskRecordFromJson } from "../core/task.js"

const decodeLine = Schema.decodeUnknownEffect(TaskRecordFromJson)
const encodeLine = Schema.encodeSync(TaskRecordFromJson)

const firstLine = (s: string) =>
  s
    .split("\n")
    .filter((l) => l.trim() !== "")
    .join("; ")

/** Every record of the file, in file order; the first bad line (or a repeated id) is an error naming file:line. */
export const decodeTasks = Effect.fnUntraced(function* (file: string, text: string) {
  const records: Array<TaskRecord> = []
  const seen = new Map<string, number>()
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ""
    if (line.trim() === "") continue
    const record = yield* decodeLine(line).pipe(
      Effect.mapError((e) => new RecordDecodeError({ file, line: i + 1, reason: firstLine(e.message) }))
    )
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
  }
  return records
})

export const encodeTasks = (records: ReadonlyArray<TaskRecord>): string =>
  records.map((r) => encodeLine(r) + "\n").join("")
