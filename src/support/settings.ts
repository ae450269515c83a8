/**
 * Every setting of taskq, in the one table `settings` below.
 *
 * Adding a setting is one line in `settings`: `runSetting(...)` gives it a `taskq run` flag, the
 * variable `TASKQ_<FLAG>` and a key in taskq.json; `envSetting(...)` only a variable; `fileSetting`
 * only a key in taskq.json. Read it with `(yield* TaskqConfig).values.<name>` (config.ts).
 */
import type { Option } from "effect"
import { DEFAULT_IMAGE } from "../core/constants.js"
import type { Step } from "../core/steps.js"
import { DEFAULT_QUEUE_DIR } from "./paths.js"
import { type Kind, kinds } from "./settingKinds.js"

/** One setting. `D` is the default's type: `undefined` for a setting that may be unset. */
export interface Setting<A, D extends A | undefined = A> {
  readonly kind: Kind<A>
  readonly default: D
  readonly doc: string
  /** The flag's name (without `--`), when it has one. */
  readonly flag?: string
  /** The environment variable, when it has one. */
  readonly env?: string
  /** The key in `queue/taskq.json`, when it may be set there. */
  readonly fileKey?: string
}

const envNameOf = (flag: string) => `TASKQ_${flag.toUpperCase().replace(/-/g, "_")}`

/** A `taskq run` setting: flag `--name`, variable `TASKQ_NAME`, key `name` in taskq.json. */
export const runSetting = <A, D extends A | undefined>(name: string, kind: Kind<A>, def: D, doc: string) =>
  ({ kind, default: def, doc, flag: name, env: envNameOf(name), fileKey: name }) satisfies Setting<A, D>
/** A setting of the environment only. */
export const envSetting = <A, D extends A | undefined>(env: string, kind: Kind<A>, def: D, doc: string) =>
  ({ kind, default: def, doc, env }) satisfies Setting<A, D>
/** A setting of `queue/taskq.json` only. */
export const fileSetting = <A, D extends A | undefined>(key: string, kind: Kind<A>, def: D, doc: string) =>
  ({ kind, default: def, doc, fileKey: key }) satisfies Setting<A, D>

/** Every setting of taskq. One line each; the order is the order `taskq config` prints. */
export const settings = {
  queueDir: {
    kind: kinds.text,
    default: DEFAULT_QUEUE_DIR,
    doc: "Queue root",
    flag: "queue-dir",
    env: "TASKQ_QUEUE_DIR"
  } satisfies Setting<string>,
  maxParallel: runSetting("max-parallel", kinds.int(1), 1, "Tasks running at once"),
  image: runSetting("image", kinds.text, DEFAULT_IMAGE, "Worker image"),
  idleTimeout: runSetting("idle-timeout", kinds.int(1), 600, "Seconds without agent activity before a task fails"),
  timeout: runSetting("timeout", kinds.int(1), 3600, "Seconds an agent may run in all"),
  readyTimeout: runSetting("ready-timeout", kinds.int(1), 120, "Seconds for a task's OpenCode server to come up"),
  onAsk: runSetting("on-ask", kinds.oneOf(["deny", "fail", "allow"]), "deny", "Answer to a permission request"),
  cleanupOnFail: runSetting("cleanup-on-fail", kinds.bool, false, "Remove a failed task's containers and worktree"),
  dirtyRun: runSetting("dirty-run", kinds.bool, false, "Reuse a task's existing worktree; remove stale containers"),
  keepRunning: runSetting("keep-running", kinds.bool, false, "Keep a task's container up while it is in review"),
  follow: runSetting(
    "follow",
    kinds.follow,
    "off",
    "Show each task's agent at work (--follow), or its container's log (--follow=raw)"
  ),
  hostConfig: runSetting("host-config", kinds.bool, true, "Copy your OpenCode config dir into each attempt"),
  hostAuth: runSetting("host-auth", kinds.bool, true, "Copy your OpenCode login (auth.json) into each attempt"),
  memoryMb: runSetting("memory-mb", kinds.int(0), 4096, "Memory limit of each task container, MiB; 0: none"),
  cpus: runSetting("cpus", kinds.positive, undefined, "CPU limit of each task container, e.g. 1.5"),
  pidsLimit: runSetting("pids-limit", kinds.int(0), 2048, "Process limit of each task container; 0: none"),
  network: runSetting(
    "network",
    kinds.oneOf(["isolated", "bridge"]),
    "isolated",
    "Network of task containers: isolated (no traffic between tasks) or bridge (Docker's default)"
  ),
  steps: fileSetting<ReadonlyArray<Step>, undefined>(
    "steps",
    kinds.steps,
    undefined,
    "The steps of tasks that have none of their own"
  ),
  drainTimeout: runSetting(
    "drain-timeout",
    kinds.int(0),
    300,
    "With --poll: seconds SIGTERM waits for tasks in flight"
  ),
  queueUrl: {
    kind: kinds.postgresUrl,
    default: undefined,
    doc: "A shared queue in PostgreSQL instead of the queue dir",
    flag: "queue-url",
    env: "TASKQ_QUEUE_URL"
  } satisfies Setting<string, undefined>,
  leaseSeconds: envSetting("TASKQ_LEASE_SECONDS", kinds.int(3), 60, "Seconds a runner's claim on a PG task lasts"),
  envAllow: envSetting(
    "TASKQ_ENV_ALLOW",
    kinds.anyText,
    "",
    "The host variables a task container gets, replacing the default list (none: nothing)"
  ),
  envAllowAdd: envSetting("TASKQ_ENV_ALLOW_ADD", kinds.anyText, "", "More host variables a task container gets"),
  openchamber: envSetting("TASKQ_OPENCHAMBER", kinds.text, undefined, "The OpenChamber executable for review"),
  dockerDir: envSetting("TASKQ_DOCKER_DIR", kinds.text, undefined, "The folder holding the worker Dockerfile"),
  maxTaskFileBytes: envSetting("TASKQ_MAX_TASK_FILE_BYTES", kinds.int(1), 1048576, "Largest task file, bytes"),
  lockStaleMs: envSetting("TASKQ_LOCK_STALE_MS", kinds.int(2000), 10_000, "Ms after which a silent lock is stale"),
  dockerHost: envSetting("DOCKER_HOST", kinds.unixSocket, "unix:///var/run/docker.sock", "The Docker engine")
}

export type Settings = typeof settings
export type SettingName = keyof Settings
type ValueOf<S> = S extends Setting<infer A, infer D> ? A | D : never
/** The effective value of every setting. */
export type SettingValues = { readonly [K in SettingName]: ValueOf<Settings[K]> }
/** What the flags of a command said: a value per flag given, keyed by setting name. */
export type FlagValues = { readonly [K in SettingName]?: Option.Option<unknown> }

/** Every setting's name, in table order. */
export const settingNames = Object.keys(settings) as ReadonlyArray<SettingName>
/** A setting's entry, its value type erased (for code that handles every setting alike). */
export const settingOf = (name: SettingName): Setting<unknown, unknown> => settings[name] as Setting<unknown, unknown>
