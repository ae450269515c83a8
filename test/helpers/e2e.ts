// End-to-end fixtures: a scratch repo, a queue whose agent config points at the scripted model,
// and the real taskq binary run against them.
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { mockModelConfig } from "./agentRuntime.js"
import { makeRepo, runTaskq, tempDir, type CliResult } from "./fixtures.js"

export interface Scratch {
  readonly repo: string
  readonly queue: string
  readonly taskq: (...args: ReadonlyArray<string>) => Promise<CliResult>
  readonly record: (id: string) => Record<string, unknown> & { status: string; attempt: number }
  readonly ids: Array<string>
}

export const scratch = (modelPort: number): Scratch => {
  const repo = makeRepo()
  const queue = join(tempDir("taskq-e2e-"), "queue")
  mkdirSync(queue, { recursive: true })
  writeFileSync(join(queue, "opencode.json"), JSON.stringify(mockModelConfig(modelPort)))
  const ids: Array<string> = []
  return {
    repo,
    queue,
    ids,
    taskq: (...args) => {
      if (args[0] === "add") {
        const i = args.indexOf("--id")
        if (i >= 0 && args[i + 1]) ids.push(args[i + 1] as string)
      }
      return runTaskq(args, { env: { TASKQ_QUEUE_DIR: queue, TASKQ_IDLE_TIMEOUT: "60", TASKQ_TIMEOUT: "180" } })
    },
    record: (id) => {
      const line = readFileSync(join(queue, "tasks.jsonl"), "utf8")
        .split("\n")
        .find((l) => l.includes(`"id":"${id}"`))
      if (!line) throw new Error(`no record ${id}`)
      return JSON.parse(line)
    }
  }
}

/** Names of the containers labelled with this task id (running or not). */
export const containersOf = (id: string): ReadonlyArray<string> =>
  execFileSync("docker", ["ps", "-a", "--filter", `label=taskq.task=${id}`, "--format", "{{.Names}}"], {
    encoding: "utf8"
  })
    .split("\n")
    .filter(Boolean)

export const isRunning = (name: string): boolean =>
  execFileSync("docker", ["inspect", "-f", "{{.State.Running}}", name], { encoding: "utf8" }).trim() === "true"

/** Removes every container of these tasks (test teardown). */
export const removeContainers = (ids: ReadonlyArray<string>) => {
  for (const id of ids)
    for (const name of containersOf(id)) execFileSync("docker", ["rm", "-f", name], { stdio: "ignore" })
}

/** A unique task id for this run, so parallel test files never share containers. */
export const uid = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 7)}`
