/** Task files: markdown whose optional frontmatter names the task; read, never rewritten. */
import { Effect, FileSystem, Path, Result } from "effect"
import matter from "gray-matter"
import { TaskFileError } from "../core/errors.js"

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

/** Splits and checks a task file's text. Unknown keys and non-string values are errors. */
export const parseTaskFile = (path: string, text: string): Result.Result<TaskFile, TaskFileError> => {
  const fail = (reason: string) => Result.fail(new TaskFileError({ file: path, reason }))
  let parsed: matter.GrayMatterFile<string>
  try {
    // an empty options object bypasses gray-matter's cache, which would share results across calls
    parsed = matter(text, {})
  } catch (e) {
    return fail(`invalid frontmatter: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`)
  }
  const data: unknown = parsed.data
  if (typeof data !== "object" || data === null || Array.isArray(data)) return fail("frontmatter must be a mapping")
  const entries = Object.entries(data)
  const unknown = entries.map(([k]) => k).filter((k) => !(frontmatterKeys as ReadonlyArray<string>).includes(k))
  if (unknown.length > 0) {
    return fail(
      `unknown frontmatter key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (allowed: ${frontmatterKeys.join(", ")})`
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

/** Reads and parses a task file from disk. */
export const readTaskFile = Effect.fnUntraced(function* (file: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const abs = path.resolve(file)
  const text = yield* fs
    .readFileString(abs)
    .pipe(
      Effect.mapError(
        (e) => new TaskFileError({ file, reason: e.reason._tag === "NotFound" ? "no such file" : e.message })
      )
    )
  return yield* Result.match(parseTaskFile(file, text), { onFailure: Effect.fail, onSuccess: Effect.succeed })
})

/** The file name without directory and last extension. */
export const fileStem = (path: Path.Path, file: string): string => path.basename(file, path.extname(file))
