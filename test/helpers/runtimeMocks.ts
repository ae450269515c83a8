// Narrow fakes of the runtime for unit tests of the pipeline (Layer.mock: a member a test did not
// expect fails it). The happy path of one attempt is implemented; a test overrides what it needs.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Layer, Option } from "effect"
import { join } from "node:path"
import { type ContainerState, Docker } from "../../src/adapters/Docker.js"
import { Git } from "../../src/adapters/Git.js"
import { OpenCode } from "../../src/adapters/OpenCode.js"
import { storeLayer } from "../../src/cli/queueUrl.js"
import { silentProgress } from "../../src/pipeline/progress.js"
import type { RunOptions } from "../../src/pipeline/runTask.js"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { TaskqConfig } from "../../src/support/config.js"
import { HostFacts } from "../../src/support/hostFacts.js"
import { QueuePaths } from "../../src/support/paths.js"
import { tempDir } from "./fixtures.js"
import { sampleRecord } from "./layers.js"

export interface Fakes {
  readonly git?: Partial<Git["Service"]>
  readonly docker?: Partial<Docker["Service"]>
  readonly opencode?: Partial<OpenCode["Service"]>
}

/** What the engine says of a container: running `c`, no limits, on the bridge, unless `over` says otherwise. */
export const containerState = (over: Partial<ContainerState> = {}): ContainerState => ({
  id: over.name ?? "c",
  name: "c",
  running: true,
  status: "running",
  exitCode: 0,
  user: "1000:1000",
  labels: {},
  capDrop: [],
  securityOpt: [],
  init: true,
  oomKilled: false,
  memoryBytes: 0,
  pidsLimit: 0,
  network: "bridge",
  ports: [],
  ...over
})

/** An engine that knows the containers the test started; every call is recorded in `calls`. */
export const engine = (calls: Array<string>): Partial<Docker["Service"]> => {
  const running = new Map<string, string>()
  const state = (name: string) => containerState({ name, network: "taskq-isolated" })
  const ofTask = (taskId: string) => [...running].filter(([, t]) => t === taskId).map(([n]) => n)
  return {
    startContainer: (spec) =>
      Effect.sync(() => {
        calls.push(`start ${spec.name}`)
        running.set(spec.name, spec.labels["taskq.task"] ?? "")
        return { id: spec.name, name: spec.name, hostPort: 40000 }
      }),
    inspect: (name) => Effect.succeed(running.has(name) ? Option.some(state(name)) : Option.none()),
    listTaskContainers: (taskId) => Effect.succeed(ofTask(taskId).map(state)),
    removeTaskContainers: (taskId) =>
      Effect.sync(() => {
        const names = ofTask(taskId)
        for (const n of names) {
          running.delete(n)
          calls.push(`remove ${n}`)
        }
        return names
      }),
    stop: (name) => Effect.sync(() => void calls.push(`stop ${name}`)),
    ensureIsolatedNetwork: () => Effect.void,
    tail: () => Effect.succeed("")
  }
}

/** Git, the engine, the agent's server and the host, faked for one attempt that succeeds. */
export const runtimeMocks = (fakes: Fakes, calls: Array<string>) =>
  Layer.mergeAll(
    Layer.mock(Git)({
      listWorktrees: () => Effect.succeed([]),
      resolveCommit: () => Effect.succeed("0".repeat(40)),
      branchExists: () => Effect.succeed(false),
      addWorktree: () => Effect.void,
      adminDir: (_repo, worktree) => Effect.succeed(`${worktree}/.git-admin`),
      owner: () => Effect.succeed({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }),
      prepareBox: (_repo, _wt, _branch, attemptDir) => Effect.succeed({ gitDir: `${attemptDir}/git`, mounts: [] }),
      ...fakes.git
    }),
    Layer.mock(Docker)({ endpoint: "test", ...engine(calls), ...fakes.docker }),
    Layer.mock(OpenCode)({
      waitReady: () => Effect.succeed("test"),
      createSession: () => Effect.succeed("ses_test"),
      send: () => Effect.void,
      messages: () => Effect.succeed([]),
      ...fakes.opencode
    }),
    Layer.mock(HostFacts)({ runner: Effect.succeed({ hostname: "box", pid: 7, id: "box:7" }) })
  )

/** Options of one attempt for unit tests: short limits, nothing followed, no progress output. */
export const testRunOptions: RunOptions = {
  image: "test",
  cleanupOnFail: false,
  dirtyRun: false,
  follow: false,
  readyTimeout: "5 seconds",
  idleTimeout: "5 seconds",
  wallTimeout: "10 seconds",
  askPolicy: "deny",
  progress: silentProgress
}

/**
 * A real JSONL store in a temp queue (`root`, inside `dir`) with the default settings, the runtime
 * faked by `runtimeMocks(fakes, calls)`, and `seed`: one todo task T-1 on the repository `root/repo`.
 */
export const fakeRuntimeWorld = (fakes: Fakes, calls: Array<string>) => {
  const dir = tempDir()
  const root = join(dir, "queue")
  const layer = Layer.mergeAll(
    storeLayer.pipe(Layer.provideMerge(QueuePaths.layer(root))),
    runtimeMocks(fakes, calls)
  ).pipe(Layer.provideMerge(TaskqConfig.layerTest()), Layer.provideMerge(NodeServices.layer))
  const seed = Effect.gen(function* () {
    const record = sampleRecord("T-1", root, { repo: join(root, "repo") })
    yield* (yield* TaskRepository).add({ record, prompt: "do it\n" })
  })
  return { dir, root, layer, seed }
}
