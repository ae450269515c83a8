/**
 * Where `add` lets a task's worktree go. taskq creates the worktree there and, at cleanup, commits
 * and removes it: so never a place that holds something else — a system folder, a repository or
 * its git dir, the queue, an existing file or folder, or another live task's worktree.
 */
import { Effect, FileSystem, Path } from "effect"
import { InvalidInput } from "../core/errors.js"
import type { TaskRecord } from "../core/task.js"
import { Git } from "../adapters/Git.js"
import { isStrictlyInside, type QueueLayout } from "../support/paths.js"

/** Folders a worktree may be neither nor be inside of. */
const systemTrees = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/proc",
  "/sbin",
  "/sys",
  "/usr"
]
/** Folders a worktree may be inside of, but not be. */
const systemDirs = ["/", "/home", "/media", "/mnt", "/opt", "/root", "/run", "/srv", "/tmp", "/var", "/var/tmp"]

/** `p` with its longest existing ancestor resolved through links, so `/tmp/link-to-etc/x` is seen as `/etc/x`. */
const canonical = Effect.fnUntraced(function* (p: string) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  let head = path.resolve(p)
  const rest: Array<string> = []
  for (;;) {
    const real = yield* fs.realPath(head).pipe(Effect.option)
    if (real._tag === "Some") return path.join(real.value, ...rest.reverse())
    const parent = path.dirname(head)
    if (parent === head) return path.resolve(p)
    rest.push(path.basename(head))
    head = parent
  }
})

/** Fails with the reason when `worktree` may not be the task's worktree. */
export const checkWorktreePath = Effect.fnUntraced(function* (
  worktree: string,
  context: {
    readonly repo: string
    readonly queue: QueueLayout
    readonly tasks: ReadonlyArray<TaskRecord>
    readonly home: string | undefined
  }
) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const git = yield* Git
  const refuse = (reason: string) => new InvalidInput({ reason: `worktree path ${worktree} ${reason}` })
  const same = (a: string, b: string) => path.resolve(a) === path.resolve(b)
  const within = (dir: string, p: string) => same(dir, p) || isStrictlyInside(path, dir, p)

  const real = yield* canonical(worktree)
  for (const p of [worktree, real]) {
    if (same(p, "/")) return yield* refuse("is the filesystem root")
    const tree = systemTrees.find((d) => within(d, p))
    if (tree) return yield* refuse(`is ${same(tree, p) ? "" : "inside "}the system folder ${tree}`)
    if (systemDirs.some((d) => same(d, p))) return yield* refuse("is a system folder")
    if (context.home !== undefined && same(context.home, p)) return yield* refuse("is your home folder")
    if (p.split(path.sep).includes(".git")) return yield* refuse("is inside a .git folder")
  }
  const repo = yield* canonical(context.repo)
  if (same(real, repo)) return yield* refuse(`is the repository ${context.repo} itself`)
  if (isStrictlyInside(path, real, repo)) return yield* refuse(`contains the repository ${context.repo}`)
  const common = yield* git
    .commonDir(context.repo)
    .pipe(
      Effect.mapError((e) => new InvalidInput({ reason: `cannot find the git dir of ${context.repo}: ${e.message}` }))
    )
  if (within(yield* canonical(common), real)) return yield* refuse(`is inside the git dir of ${context.repo}`)

  const q = context.queue
  const queueRoot = yield* canonical(q.root)
  if (within(real, queueRoot)) return yield* refuse(`is or contains the queue ${q.root}`)
  for (const dir of [q.tasksDir, q.errorsDir, q.opencodeDir])
    if (within(yield* canonical(dir), real)) return yield* refuse(`is inside the queue's folder ${dir}`)
  if (same(yield* canonical(q.worktreesDir), real)) return yield* refuse(`is the queue's worktrees folder itself`)

  const info = yield* fs.lstat(worktree).pipe(Effect.option)
  if (info._tag === "Some") {
    const kind = info.value.type
    if (kind === "SymbolicLink") return yield* refuse("is a symbolic link")
    if (kind !== "Directory") return yield* refuse("is an existing file")
    const entries = yield* fs.readDirectory(worktree).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => ["?"]))
    return yield* refuse(
      entries.length > 0
        ? "is an existing folder with files in it"
        : "already exists (taskq creates the worktree itself: remove the empty folder or choose another path)"
    )
  }

  for (const t of context.tasks) {
    if (t.status === "done" || t.status === "cancelled") {
      // a finished task's worktree is live until cleanup removed it
      if (t.created_worktree === undefined) continue
    }
    const other = yield* canonical(t.worktree_path)
    if (within(other, real) || within(real, other))
      return yield* refuse(`${same(other, real) ? "is" : "overlaps"} the worktree of task ${t.id} (${t.status})`)
  }
})
