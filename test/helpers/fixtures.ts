// Real temp dirs, real git repositories, and the real taskq binary as a child process.
import { Schema } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { ErrorReport } from "../../src/store/ErrorStore.js"

export const BIN = resolve("dist/taskq.mjs")

const made: Array<string> = []

/** A fresh temp dir, removed after the test file (see removeTempDirs, registered by test/helpers/setup.ts). */
export const tempDir = (prefix = "taskq-test-"): string => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  made.push(dir)
  return dir
}

/** Removes every temp dir this test file made. */
export const removeTempDirs = (): void => {
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    } catch (e) {
      // e.g. files a container user wrote when the tests do not run as root: say so, do not fail the file
      console.warn(`could not remove ${dir}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
}

export const git = (cwd: string, ...args: ReadonlyArray<string>): string =>
  execFileSync("git", ["-c", "safe.directory=*", ...args], {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com"
    }
  }).trim()

/** A fresh repository on branch `main` with one commit. */
export const makeRepo = (dir = tempDir("taskq-repo-")): string => {
  mkdirSync(dir, { recursive: true })
  git(dir, "init", "-q", "-b", "main")
  execFileSync("sh", ["-c", "echo hello > README.md"], { cwd: dir })
  git(dir, "add", ".")
  git(dir, "commit", "-q", "-m", "init")
  return dir
}

/** The records of queue/tasks.jsonl, one parsed line each (none while there is no file). */
export const queueRecords = (queue: string) => {
  const file = join(queue, "tasks.jsonl")
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l))
    : []
}

/** Writes `records` as queue/tasks.jsonl, one JSON line each, as a hand edit or an older taskq would. */
export const writeQueueRecords = (queue: string, records: ReadonlyArray<Record<string, unknown>>): void =>
  writeFileSync(join(queue, "tasks.jsonl"), records.map((r) => JSON.stringify(r) + "\n").join(""))

/** The error report of task `id` in the queue folder `queue`, decoded as taskq writes it. */
export const errorReport = (queue: string, id: string): ErrorReport =>
  Schema.decodeUnknownSync(Schema.fromJsonString(ErrorReport))(
    readFileSync(join(queue, "errors", `${id}.json`), "utf8")
  )

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** A taskq child process a test can signal or watch. */
export interface Started {
  readonly child: ChildProcess
  /** What it has written so far: grows while it runs. */
  readonly out: { stdout: string; stderr: string }
  /** Its outcome, once it has exited. */
  readonly done: Promise<CliResult>
}

/** Starts `taskq args` as a child process (its environment: this one's, `env` over it). */
export const startTaskq = (
  args: ReadonlyArray<string>,
  options: { cwd?: string; env?: Record<string, string | undefined> } = {}
): Started => {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const out = { stdout: "", stderr: "" }
  child.stdout.on("data", (d: Buffer) => {
    out.stdout += d.toString()
  })
  child.stderr.on("data", (d: Buffer) => {
    out.stderr += d.toString()
  })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout: out.stdout, stderr: out.stderr }))
  })
  return { child, out, done }
}

/** Runs `taskq args` as a child process and collects its output. */
export const runTaskq = (
  args: ReadonlyArray<string>,
  options: { cwd?: string; env?: Record<string, string | undefined> } = {}
): Promise<CliResult> => startTaskq(args, options).done
