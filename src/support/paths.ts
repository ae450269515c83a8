/** The queue layout of SPEC §1, computed from one absolute root. */
import { Context, Effect, FileSystem, Layer, Path } from "effect"
import { QueueError, UnsafePath } from "../core/errors.js"

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

/** Whether `target` lies strictly below `dir` (both absolute; compared after normalising, never by prefix). */
export const isStrictlyInside = (path: Path.Path, dir: string, target: string): boolean => {
  const rel = path.relative(path.resolve(dir), path.resolve(target))
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)
}

/**
 * `target`, once checked safe to write, delete or read: strictly inside `dir` (a folder of the
 * queue, or the root), and no path component from the queue root down is a symbolic link (each is
 * `lstat`ed, never followed). Components that do not exist yet are fine.
 */
export const confined = Effect.fnUntraced(function* (q: QueueLayout, dir: string, target: string) {
  const path = yield* Path.Path
  const fs = yield* FileSystem.FileSystem
  if (!isStrictlyInside(path, dir, target) || (dir !== q.root && !isStrictlyInside(path, q.root, dir)))
    return yield* new UnsafePath({ path: target, reason: `it is not inside ${dir}` })
  let current = q.root
  for (const part of path.relative(q.root, path.resolve(target)).split(path.sep)) {
    current = path.join(current, part)
    const info = yield* fs.lstat(current).pipe(
      Effect.map((i) => i.type),
      Effect.catchReason("PlatformError", "NotFound", () => Effect.succeed(undefined)),
      Effect.mapError((e) => new QueueError({ path: current, reason: e.message }))
    )
    if (info === undefined) break
    if (info === "SymbolicLink")
      return yield* new UnsafePath({
        path: current,
        reason: "it is a symbolic link; taskq does not follow links inside its queue"
      })
  }
  return target
})
