/** Task files: markdown whose optional frontmatter names the task; read, never rewritten. */
import { Effect, FileSystem, Option, Path, Result } from "effect"
import matter from "gray-matter"
import { TaskFileError } from "../core/errors.js"
import { TaskqConfig } from "./config.js"
import { confined, type QueueLayout } from "./paths.js"

export const frontmatterKeys = ["id", "repo", "base", "branch", "worktree_path", "steps"] as const
export type FrontmatterKey = Exclude<(typeof frontmatterKeys)[number], "steps">
export type Frontmatter = { readonly [K in FrontmatterKey]?: string }

export interface TaskFile {
  readonly path: string
  readonly frontmatter: Frontmatter
  /** The prompt: the markdown after the frontmatter. */
  readonly body: string
  /** The frontmatter's `steps`, unchecked (core/steps.ts parses it). */
  readonly steps?: unknown
}

/**
 * The language named after the opening `---` (gray-matter's `---js`, `---coffee`, …), when the
 * text opens a frontmatter block; "" for plain `---`.
 */
const frontmatterLanguage = (text: string): string => {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text
  if (!body.startsWith("---") || body.charAt(3) === "-") return ""
  const end = body.search(/\r?\n/)
  return (end < 0 ? body.slice(3) : body.slice(3, end)).trim()
}

const notYaml = (language: string) => () => {
  throw new Error(`frontmatter in ${language} is not supported: only YAML`)
}
/**
 * YAML (gray-matter's default, js-yaml's safe loader) is the only engine: frontmatter is data,
 * never code. The others are replaced by refusals, so nothing is evaluated even past the check below.
 */
const yamlOnly = {
  language: "yaml",
  engines: {
    javascript: notYaml("javascript"),
    js: notYaml("js"),
    json: notYaml("json"),
    coffee: notYaml("coffee"),
    coffeescript: notYaml("coffeescript"),
    cson: notYaml("cson"),
    toml: notYaml("toml")
  }
}

/** Splits and checks a task file's text. Unknown keys, non-string values and non-YAML frontmatter are errors. */
export const parseTaskFile = (path: string, text: string): Result.Result<TaskFile, TaskFileError> => {
  const fail = (reason: string) => Result.fail(new TaskFileError({ file: path, reason }))
  const language = frontmatterLanguage(text)
  if (language !== "" && !["yaml", "yml"].includes(language.toLowerCase()))
    return fail(`frontmatter "---${language}" is not allowed: frontmatter is YAML only (open it with a plain ---)`)
  let parsed: matter.GrayMatterFile<string>
  try {
    // a fresh options object bypasses gray-matter's cache, which would share results across calls
    parsed = matter(text, { ...yamlOnly, engines: { ...yamlOnly.engines } })
  } catch (e) {
    return fail(`invalid frontmatter: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`)
  }
  const data: unknown = parsed.data
  if (typeof data !== "object" || data === null || Array.isArray(data)) return fail("frontmatter must be a mapping")
  const entries = Object.entries(data)
  const unknown = entries.map(([k]) => k).filter((k) => !(frontmatterKeys as ReadonlyArray<string>).includes(k))
  if (unknown.length > 0) {
    return fail(
      `unknown frontmatter key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} ` +
        `(allowed: ${frontmatterKeys.join(", ")})`
    )
  }
  const frontmatter: Record<string, string> = {}
  for (const [k, v] of entries) {
    if (k === "steps") continue
    if (v === null || v === undefined) continue
    if (typeof v !== "string") return fail(`frontmatter key ${k} must be a string (quote the value)`)
    if (v.trim() === "") return fail(`frontmatter key ${k} is empty`)
    frontmatter[k] = v.trim()
  }
  const steps = entries.find(([k]) => k === "steps")?.[1]
  return Result.succeed({ path, frontmatter, body: parsed.content, ...(steps !== undefined ? { steps } : {}) })
}

const MAX_TASK_FILE_BYTES_VAR = "TASKQ_MAX_TASK_FILE_BYTES"

/** Task files and prompts larger than this are refused, unless the setting `maxTaskFileBytes` says otherwise. */
export const DEFAULT_MAX_TASK_FILE_BYTES = 1024 * 1024
const limit = Effect.map(Effect.serviceOption(TaskqConfig), (c) =>
  Option.isSome(c) ? c.value.values.maxTaskFileBytes : DEFAULT_MAX_TASK_FILE_BYTES
)

const typeNames: Partial<Record<FileSystem.File.Type, string>> = {
  Directory: "a directory",
  FIFO: "a FIFO (named pipe)",
  CharacterDevice: "a character device",
  BlockDevice: "a block device",
  Socket: "a socket",
  SymbolicLink: "a symbolic link"
}

/**
 * The file's text, read only when `info` says it is a regular file within `max` bytes, and then
 * read with that bound (a file that grows meanwhile is still refused). Never opens a FIFO or device.
 */
const readBounded = Effect.fnUntraced(function* (file: string, shown: string, info: FileSystem.File.Info, max: number) {
  const fs = yield* FileSystem.FileSystem
  const fail = (reason: string) => new TaskFileError({ file: shown, reason })
  if (info.type !== "File") return yield* fail(`not a regular file (it is ${typeNames[info.type] ?? "not a file"})`)
  const tooBig = () => fail(`it is larger than ${max} bytes, the limit for task files (${MAX_TASK_FILE_BYTES_VAR})`)
  if (Number(info.size) > max) return yield* tooBig()
  const bytes = yield* Effect.scoped(
    Effect.gen(function* () {
      const handle = yield* fs.open(file, { flag: "r" })
      const buffer = new Uint8Array(max + 1)
      let total = 0
      while (total <= max) {
        const n = yield* handle.read(buffer.subarray(total))
        if (n === 0) break
        total += Number(n)
      }
      return buffer.subarray(0, total)
    })
  ).pipe(Effect.mapError((e) => fail(e.message)))
  if (bytes.length > max) return yield* tooBig()
  return new TextDecoder().decode(bytes)
})

/**
 * Reads and parses a task file from disk: a regular file (links followed: it is the user's own)
 * within the size limit.
 */
export const readTaskFile = Effect.fnUntraced(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const abs = path.resolve(file)
  const info = yield* fs
    .stat(abs)
    .pipe(
      Effect.mapError(
        (e) => new TaskFileError({ file, reason: e.reason._tag === "NotFound" ? "no such file" : e.message })
      )
    )
  const text = yield* readBounded(abs, file, info, yield* limit)
  return yield* Result.match(parseTaskFile(file, text), { onFailure: Effect.fail, onSuccess: Effect.succeed })
})

/**
 * A task's prompt, `queue/tasks/<id>.md`: the path is derived from the id and confined to the
 * queue, and it must be a regular file, not a link (a link would send a host file to the model).
 */
export const readPrompt = Effect.fnUntraced(function* (q: QueueLayout, id: string) {
  const fs = yield* FileSystem.FileSystem
  const file = yield* confined(q, q.tasksDir, q.taskFile(id))
  const info = yield* fs
    .lstat(file)
    .pipe(
      Effect.mapError(
        (e) => new TaskFileError({ file, reason: e.reason._tag === "NotFound" ? "no such file" : e.message })
      )
    )
  return yield* readBounded(file, file, info, yield* limit)
})

/** The file name without directory and last extension. */
export const fileStem = (path: Path.Path, file: string): string => path.basename(file, path.extname(file))
