/** Task ids are external identifiers (`T-001`): validated, never trusted as paths. */
import { Result } from "effect"
import { InvalidTaskId } from "./errors.js"

export const MAX_ID_LENGTH = 64

/** The id itself, or why it is not a valid task id. */
export const validateTaskId = (id: string): Result.Result<string, InvalidTaskId> => {
  const fail = (reason: string) => Result.fail(new InvalidTaskId({ id, reason }))
  if (id.length === 0) return fail("it is empty")
  if (id.length > MAX_ID_LENGTH) return fail(`it has ${id.length} characters, at most ${MAX_ID_LENGTH} are allowed`)
  if (id.includes("/") || id.includes("\\")) return fail("it contains a path separator")
  if (id.startsWith(".")) return fail("it starts with a dot")
  const bad = id.match(/[^A-Za-z0-9._-]/)
  if (bad) return fail(`character ${JSON.stringify(bad[0])} is not allowed (letters, digits, '.', '_', '-')`)
  return Result.succeed(id)
}

/** An id derived from a file name stem: lower-case, runs of other characters -> '-', trimmed. */
export const normalizeId = (stem: string): string =>
  stem
    .toLowerCase()
    .replace(/[^a-z0-9._]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
