/** Crash-safe file replacement: temp file in the same folder, fsync, rename, fsync the folder. */
import { Effect, FileSystem, Path } from "effect"
import { QueueError } from "../core/errors.js"

const TMP_SUFFIX = ".tmp"
const tmpPrefix = (base: string) => `.${base}.`

/** Replaces `file` with `content` so that a crash leaves either the old or the new file. */
export const writeFileAtomic = Effect.fnUntraced(function* (file: string, content: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = path.dirname(file)
  const tmp = path.join(
    dir,
    `${tmpPrefix(path.basename(file))}${process.pid}.${Math.random().toString(36).slice(2)}${TMP_SUFFIX}`
  )
  const fail = (e: { readonly message: string }) => new QueueError({ path: file, reason: e.message })
  yield* Effect.scoped(
    Effect.gen(function* () {
      const handle = yield* fs.open(tmp, { flag: "w", mode: 0o644 })
      yield* handle.writeAll(new TextEncoder().encode(content))
      yield* handle.sync
    })
  ).pipe(
    Effect.flatMap(() => fs.rename(tmp, file)),
    Effect.tapError(() => fs.remove(tmp, { force: true }).pipe(Effect.ignore)),
    Effect.mapError(fail)
  )
  // make the rename itself durable; not every filesystem allows fsync on a folder
  yield* Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (d) => d.sync)).pipe(Effect.ignore)
})

/** Removes temp files that a writer killed mid-write left beside `file`. Call only under the lock. */
export const removeStaleTemps = Effect.fnUntraced(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = path.dirname(file)
  const prefix = tmpPrefix(path.basename(file))
  const names = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
  yield* Effect.forEach(
    names.filter((n) => n.startsWith(prefix) && n.endsWith(TMP_SUFFIX)),
    (n) => fs.remove(path.join(dir, n), { force: true }).pipe(Effect.ignore),
    { discard: true }
  )
})
