/**
 * The secrets of one attempt, kept out of `docker inspect`, the queue's records and taskq's output:
 * - `server-password`: the random password of the attempt's OpenCode server (taskq's client and
 *   `review` read it here);
 * - `container.env`: what the container's entrypoint sources before it starts OpenCode — the server
 *   password and the allow-listed host variables (provider keys), instead of `docker run -e`.
 * Both are created with mode 0600 in the attempt dir; the env file is mounted read-only.
 */
import { Effect, FileSystem, Option, Path } from "effect"
import { randomBytes } from "node:crypto"
import { InvalidInput } from "../core/errors.js"

export const SERVER_PASSWORD_FILE = "server-password"
export const CONTAINER_ENV_FILE = "container.env"
/** Where the env file is mounted inside the container; the entrypoint reads `TASKQ_ENV_FILE`. */
export const CONTAINER_ENV_PATH = "/run/taskq/container.env"
export const SERVER_PASSWORD_VAR = "OPENCODE_SERVER_PASSWORD"

/** 32 random bytes, URL-safe: fits a Basic auth header, a shell word and an env value. */
export const newServerPassword = (): string => randomBytes(32).toString("base64url")

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `NAME='value'` lines a POSIX shell sources without expanding anything (`'` is written `'\''`). */
export const envFileText = (vars: Readonly<Record<string, string>>): string =>
  Object.entries(vars)
    .filter(([name]) => NAME.test(name))
    .map(([name, value]) => `${name}='${value.replaceAll("'", `'\\''`)}'\n`)
    .join("")

export interface AttemptSecrets {
  readonly password: string
  /** Host path of the env file to mount at `CONTAINER_ENV_PATH`. */
  readonly envFile: string
}

const writePrivate = Effect.fnUntraced(function* (file: string, text: string) {
  const fs = yield* FileSystem.FileSystem
  // created 0600 (never readable by others, not even for a moment), chmod in case it existed
  yield* fs.writeFileString(file, text, { mode: 0o600 })
  yield* fs.chmod(file, 0o600)
})

/** Writes a fresh server password and the container's env file (`env` + the password) into `attemptDir`. */
export const writeAttemptSecrets = Effect.fnUntraced(function* (
  attemptDir: string,
  env: Readonly<Record<string, string>>
) {
  const path = yield* Path.Path
  const password = newServerPassword()
  const envFile = path.join(attemptDir, CONTAINER_ENV_FILE)
  yield* writePrivate(path.join(attemptDir, SERVER_PASSWORD_FILE), password + "\n")
  yield* writePrivate(envFile, envFileText({ ...env, [SERVER_PASSWORD_VAR]: password }))
  return { password, envFile } satisfies AttemptSecrets
})

/**
 * The server password of the attempt whose dir is `attemptDir` (for `review`: OpenChamber's
 * `OPENCODE_SERVER_PASSWORD`, `opencode attach -p`).
 */
export const readServerPassword = Effect.fnUntraced(function* (attemptDir: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const file = path.join(attemptDir, SERVER_PASSWORD_FILE)
  const text = yield* fs
    .readFileString(file)
    .pipe(Effect.mapError((e) => new InvalidInput({ reason: `cannot read the server password ${file}: ${e.message}` })))
  const password = text.trim()
  if (password === "") return yield* new InvalidInput({ reason: `the server password file ${file} is empty` })
  return password
})

/** The attempt's server password and its file, or none for an attempt run before servers had one. */
export const findServerPassword = Effect.fnUntraced(function* (attemptDir: string) {
  const fs = yield* FileSystem.FileSystem
  const file = (yield* Path.Path).join(attemptDir, SERVER_PASSWORD_FILE)
  if (!(yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false)))) return Option.none<ServerPassword>()
  return Option.some<ServerPassword>({ value: yield* readServerPassword(attemptDir), file })
})

export interface ServerPassword {
  readonly value: string
  readonly file: string
}
