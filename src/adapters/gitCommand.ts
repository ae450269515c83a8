/**
 * How the Git adapter starts git on the host: every call hardened (gitSafety.ts); a call on a
 * repository names its common git dir, a call on a task the worktree's admin dir taskq created
 * (the worktree's `.git` file checked against it first); as the repository's owner when taskq is root.
 */
import { Effect, FileSystem, Semaphore } from "effect"
import { ChildProcessSpawner } from "effect/process"
import { type CommandOptions, runCommand } from "../support/process.js"
import { currentUid } from "../support/user.js"
import { type GitError, GitRefused } from "./gitErrors.js"
import { gitFileTarget, HARDENED_ENV, HARDENING, safeDirectories } from "./gitSafety.js"

/** Who owns a repository's git dir: host git on its tasks runs as them when taskq is root. */
export interface RepoOwner {
  readonly uid: number
  readonly gid: number
}

/** One resolved repository: its common git dir and the user host git runs as (undefined: taskq's own). */
export interface RepoRef {
  readonly repo: string
  readonly common: string
  readonly owner: RepoOwner
  readonly runAs: RepoOwner | undefined
}

/** git on one git dir, fixed beforehand (see `inGitDir`). */
export type GitRun = (
  args: ReadonlyArray<string>,
  options?: CommandOptions
) => Effect.Effect<{ readonly stdout: string; readonly exitCode: number }, GitError>

/** A refusal with the facts in its reason. */
export const refused = (reason: string) => new GitRefused({ reason })
/** A command's stdout, trimmed. */
export const stdoutOf = (r: { readonly stdout: string }) => r.stdout.trim()

/** The ways to start git, over the FileSystem and ChildProcessSpawner of the layer that builds them. */
export const makeGitCommands = Effect.gen(function* () {
  const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
  const fs = yield* FileSystem.FileSystem
  const exec = (cmd: string, args: ReadonlyArray<string>, options: CommandOptions = {}) =>
    runCommand(cmd, args, { ...options, env: { ...HARDENED_ENV, ...options.env } }).pipe(
      Effect.provideService(ChildProcessSpawner.ChildProcessSpawner, spawner)
    )
  /** git found from a directory the user named: that repository, and no other, is trusted. */
  const inDir = (dir: string, args: ReadonlyArray<string>, options: CommandOptions = {}) =>
    exec("git", [...HARDENING, ...safeDirectories(dir), "-C", dir, ...args], options)

  // `git worktree add` in one repository at once: concurrent adds race on .git/config.lock
  const locks = new Map<string, Semaphore.Semaphore>()
  const serialised = (key: string) => {
    let sem = locks.get(key)
    if (!sem) {
      sem = Semaphore.makeUnsafe(1)
      locks.set(key, sem)
    }
    return sem.withPermits(1)
  }

  const commonDir = (dir: string) =>
    inDir(dir, ["rev-parse", "--path-format=absolute", "--git-common-dir"]).pipe(Effect.map(stdoutOf))

  const refs = new Map<string, RepoRef>()
  const resolveRepo = Effect.fnUntraced(function* (repo: string) {
    const cached = refs.get(repo)
    if (cached) return cached
    const common = yield* commonDir(repo)
    const info = yield* fs.stat(common).pipe(Effect.mapError((e) => refused(e.message)))
    const owner = {
      uid: info.uid._tag === "Some" ? info.uid.value : 0,
      gid: info.gid._tag === "Some" ? info.gid.value : 0
    }
    const ref = { repo, common, owner, runAs: currentUid() === 0 && owner.uid !== 0 ? owner : undefined }
    refs.set(repo, ref)
    return ref
  })

  /** git on the repository's own git dir, as its owner when taskq is root (new objects stay theirs). */
  const inGitDir =
    (ref: RepoRef, gitDir: string, workTree?: string, asSelf = false): GitRun =>
    (args, options = {}) => {
      const gitArgs = [
        ...HARDENING,
        `--git-dir=${gitDir}`,
        ...(workTree !== undefined ? [`--work-tree=${workTree}`] : []),
        ...args
      ]
      const asOwner = ref.runAs && !asSelf ? ref.runAs : undefined
      return asOwner
        ? exec(
            "setpriv",
            [`--reuid=${asOwner.uid}`, `--regid=${asOwner.gid}`, "--clear-groups", "--", "git", ...gitArgs],
            { cwd: "/", ...options }
          )
        : exec("git", gitArgs, { cwd: "/", ...options })
    }
  const inRepo = Effect.fnUntraced(function* (repo: string) {
    const ref = yield* resolveRepo(repo)
    return { ref, run: inGitDir(ref, ref.common) }
  })

  /** The worktree's admin dir, from the repository's side, and the worktree's `.git` file checked against it. */
  const adminDirOf = Effect.fnUntraced(function* (ref: RepoRef, worktree: string) {
    const admin = `${ref.common}/worktrees`
    const names = yield* fs.readDirectory(admin).pipe(Effect.orElseSucceed((): Array<string> => []))
    let found: string | undefined
    for (const name of names) {
      const back = yield* fs.readFileString(`${admin}/${name}/gitdir`).pipe(Effect.orElseSucceed(() => ""))
      if (back.trim() === `${worktree}/.git`) found = `${admin}/${name}`
    }
    if (!found) return yield* refused(`${worktree} is not a worktree of ${ref.repo}`)
    const dotGit = `${worktree}/.git`
    const unreadable = (e: { readonly message: string }) => refused(`cannot read ${dotGit}: ${e.message}`)
    const info = yield* fs.stat(dotGit).pipe(Effect.mapError(unreadable))
    const link = yield* fs.readLink(dotGit).pipe(Effect.option)
    const content =
      info.type === "File" && link._tag === "None"
        ? yield* fs.readFileString(dotGit).pipe(Effect.mapError(unreadable))
        : ""
    if (gitFileTarget(content, worktree) !== found)
      return yield* refused(
        `${dotGit} was tampered with: it no longer points to ${found}, the git dir taskq created; ` +
          `refusing to run git there (inspect it, then restore it or remove the worktree by hand)`
      )
    return found
  })
  const inWorktree = Effect.fnUntraced(function* (repo: string, worktree: string) {
    const ref = yield* resolveRepo(repo)
    const admin = yield* adminDirOf(ref, worktree)
    return { ref, admin, run: inGitDir(ref, admin, worktree) }
  })

  return { exec, inDir, serialised, commonDir, resolveRepo, inGitDir, inRepo, adminDirOf, inWorktree } as const
})
