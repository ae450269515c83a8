/** The queue layout of SPEC §1, computed from one absolute root. */
import { Context, Effect, Layer, Path } from "effect"

export interface QueueLayout {
  readonly root: string
  readonly tasksFile: string
  readonly tasksDir: string
  readonly worktreesDir: string
  readonly errorsDir: string
  readonly opencodeDir: string
  /** `queue/opencode.json`: the user's agent config template, when present. */
  readonly agentConfigTemplate: string
  readonly taskFile: (id: string) => string
  readonly errorFile: (id: string) => string
  readonly defaultWorktree: (id: string) => string
  readonly taskOpencodeDir: (id: string) => string
  readonly attemptDir: (id: string, attempt: number) => string
}

export const makeQueueLayout = (path: Path.Path, root: string): QueueLayout => {
  const abs = path.resolve(root)
  const j = (...xs: ReadonlyArray<string>) => path.join(abs, ...xs)
  return {
    root: abs,
    tasksFile: j("tasks.jsonl"),
    tasksDir: j("tasks"),
    worktreesDir: j("worktrees"),
    errorsDir: j("errors"),
    opencodeDir: j("opencode"),
    agentConfigTemplate: j("opencode.json"),
    taskFile: (id) => j("tasks", `${id}.md`),
    errorFile: (id) => j("errors", `${id}.json`),
    defaultWorktree: (id) => j("worktrees", id),
    taskOpencodeDir: (id) => j("opencode", id),
    attemptDir: (id, attempt) => j("opencode", id, `attempt-${attempt}`)
  }
}

/** The queue root in use, resolved to an absolute path. */
export class QueuePaths extends Context.Service<QueuePaths, QueueLayout>()("taskq/support/QueuePaths") {
  static readonly layer = (root: string) =>
    Layer.effect(
      QueuePaths,
      Effect.gen(function* () {
        return QueuePaths.of(makeQueueLayout(yield* Path.Path, root))
      })
    )
}

/** Where the queue lives when neither `--queue-dir` nor `TASKQ_QUEUE_DIR` says otherwise. */
export const DEFAULT_QUEUE_DIR = "queue"
