// Child taskq processes a test can signal, and waiting for a condition: for the fault and stress tests.
import { spawn } from "node:child_process"
import { BIN, type CliResult } from "../helpers/fixtures.js"

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** `taskq args` as a child process we can signal; `done` resolves with its outcome. */
export const start = (queue: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, TASKQ_QUEUE_DIR: queue, TASKQ_IDLE_TIMEOUT: "60", TASKQ_TIMEOUT: "180", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, done }
}

/** Waits until `f` holds (checked every 200 ms) or fails after `ms`. */
export const until = async (what: string, f: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(200)
  }
}
