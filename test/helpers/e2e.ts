// End-to-end fixtures: the real runtime for a test file (worker image, scripted model), a scratch repo
// and a queue whose agent config points at the scripted model, and the real taskq binary run against them.
import { afterAll, beforeAll } from "vitest"
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import type { ErrorReport } from "../../src/store/ErrorStore.js"
import type { ScriptedModel } from "../support/scriptedModel.js"
import { ensureWorkerImage, mockModelConfig, startBridgeModel } from "./agentRuntime.js"
import {
  type CliResult,
  errorReport,
  makeRepo,
  queueRecords,
  runTaskq,
  type Started,
  startTaskq,
  tempDir
} from "./fixtures.js"

type Env = Record<string, string | undefined>
type TaskJson = Record<string, unknown> & { id: string; status: string; attempt: number }

export interface Scratch {
  readonly repo: string
  readonly queue: string
  /** Runs `taskq args` on this queue. */
  readonly taskq: (...args: ReadonlyArray<string>) => Promise<CliResult>
  /** Runs `taskq args` on this queue with `env` over the scratch's environment. */
  readonly taskqWith: (env: Env, ...args: ReadonlyArray<string>) => Promise<CliResult>
  /** `taskq add --id <id> --repo <repo> --task <prompt>`, on the scratch repo unless `repo` is given. */
  readonly add: (id: string, prompt: string, repo?: string) => Promise<CliResult>
  /** Starts `taskq args` on this queue as a child process the test can signal. */
  readonly start: (args: ReadonlyArray<string>, env?: Env) => Started
  /** Task `id`'s line in tasks.jsonl (throws when there is none). */
  readonly record: (id: string) => TaskJson
  /** Every line of tasks.jsonl. */
  readonly records: () => ReadonlyArray<TaskJson>
  /** Task `id`'s error report. */
  readonly report: (id: string) => ErrorReport
  /** The ids added through `taskq`/`add`/`start`: their containers are removed after the file. */
  readonly ids: Array<string>
}

export interface ScratchOptions {
  /** Environment of every taskq run on this queue, over the defaults (undefined removes a variable). */
  readonly env?: Env
  /** Write queue/opencode.json pointing the agent at the scripted model (default: yes). */
  readonly agentConfig?: boolean
}

const emptyQueue = (prefix: string): string => {
  const queue = join(tempDir(prefix), "queue")
  mkdirSync(queue, { recursive: true })
  return queue
}

/** A queue folder whose opencode.json points the agent at the scripted model on `modelPort`. */
export const agentQueue = (modelPort: number, prefix = "taskq-e2e-"): string => {
  const queue = emptyQueue(prefix)
  writeFileSync(join(queue, "opencode.json"), JSON.stringify(mockModelConfig(modelPort)))
  return queue
}

export const scratch = (modelPort: number, options: ScratchOptions = {}): Scratch => {
  const repo = makeRepo()
  const queue = options.agentConfig === false ? emptyQueue("taskq-e2e-") : agentQueue(modelPort)
  const env: Env = { TASKQ_QUEUE_DIR: queue, TASKQ_IDLE_TIMEOUT: "60", TASKQ_TIMEOUT: "180", ...options.env }
  const ids: Array<string> = []
  const track = (args: ReadonlyArray<string>) => {
    if (args[0] !== "add") return
    const i = args.indexOf("--id")
    if (i >= 0 && args[i + 1]) ids.push(args[i + 1] as string)
  }
  const taskqWith = (more: Env, ...args: ReadonlyArray<string>) => {
    track(args)
    return runTaskq(args, { env: { ...env, ...more } })
  }
  const records = (): ReadonlyArray<TaskJson> => queueRecords(queue)
  return {
    repo,
    queue,
    ids,
    taskq: (...args) => taskqWith({}, ...args),
    taskqWith,
    add: (id, prompt, into = repo) => taskqWith({}, "add", "--id", id, "--repo", into, "--task", prompt),
    start: (args, more = {}) => {
      track(args)
      return startTaskq(args, { env: { ...env, ...more } })
    },
    record: (id) => {
      // only this task's line is parsed: a runner may be rewriting the others
      const line = readFileSync(join(queue, "tasks.jsonl"), "utf8")
        .split("\n")
        .find((l) => l.includes(`"id":"${id}"`))
      if (!line) throw new Error(`no record ${id}`)
      return JSON.parse(line)
    },
    records,
    report: (id) => errorReport(queue, id)
  }
}

/**
 * The real runtime for an e2e test file: before its tests the worker image (built when missing) and
 * the scripted model on the Docker bridge; after them every container of its tasks removed, the model
 * closed. Call once at the top of the file.
 */
export const useRealRuntime = () => {
  let model: ScriptedModel | undefined
  const scratches: Array<Scratch> = []
  const ids: Array<string> = []
  beforeAll(async () => {
    ensureWorkerImage()
    model = await startBridgeModel()
  }, 300_000)
  afterAll(async () => {
    removeContainers([...ids, ...scratches.flatMap((s) => s.ids)])
    await model?.close()
  })
  const started = (): ScriptedModel => {
    if (!model) throw new Error("the scripted model starts in beforeAll: use it in a test or a later hook")
    return model
  }
  return {
    /** The scripted model the agents talk to. */
    get model() {
      return started()
    },
    /** A new scratch repo and queue on the scripted model; its tasks' containers go after the file. */
    fresh: (options?: ScratchOptions): Scratch => {
      const s = scratch(started().port, options)
      scratches.push(s)
      return s
    },
    /** Ids of tasks added without a Scratch: their containers are removed after the file too. */
    ids
  }
}

/** Names of the containers labelled with this task id (running or not). */
export const containersOf = (id: string): ReadonlyArray<string> =>
  execFileSync("docker", ["ps", "-a", "--filter", `label=taskq.task=${id}`, "--format", "{{.Names}}"], {
    encoding: "utf8"
  })
    .split("\n")
    .filter(Boolean)

/** `docker inspect -f <format> <name>`, trimmed. */
export const inspectField = (name: string, format: string): string =>
  execFileSync("docker", ["inspect", "-f", format, name], { encoding: "utf8" }).trim()

export const isRunning = (name: string): boolean => inspectField(name, "{{.State.Running}}") === "true"

/** Removes every container of these tasks (test teardown). */
export const removeContainers = (ids: ReadonlyArray<string>) => {
  for (const id of ids)
    for (const name of containersOf(id)) execFileSync("docker", ["rm", "-f", name], { stdio: "ignore" })
}

/** A unique task id for this run, so parallel test files never share containers. */
export const uid = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 7)}`

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `f` holds (checked every 200 ms) or fails after `ms`. */
export const until = async (what: string, f: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(200)
  }
}
