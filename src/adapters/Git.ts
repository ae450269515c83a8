/**
 * Git, through its command line: repository checks, worktrees, branches, diffs, and the agent's
 * private git dir (gitBox.ts). Host-side git never executes configuration the agent could have
 * written (gitSafety.ts): calls on a task use the git dir taskq created, verified first.
 */
import { Config, Context, Effect, FileSystem, Layer, Option, Schedule, Semaphore } from "effect"
import { ChildProcessSpawner } from "effect/process"
import { InvalidInput } from "../core/errors.js"
import { type CommandOptions, runCommand } from "../support/process.js"
import { currentUid } from "../support/user.js"
import type { BindMount } from "./Docker.js"
import { importBox, prepareBox } from "./gitBox.js"
import { BranchNotMerged, type GitError, GitRefused } from "./gitErrors.js"
import { DIFF_FLAGS, gitFileTarget, HARDENED_ENV, HARDENING, safeDirectories } from "./gitSafety.js"

export interface WorktreeInfo {
  readonly path: string
  readonly head: string
  readonly branch: string | undefined
}

/** Who owns a repository's git dir: host git on its tasks runs as them when taskq is root. */
export interface RepoOwner {
  readonly uid: number
  readonly gid: number
}

/** The agent's private git dir of one attempt and what the container needs mounted for it. */
export interface GitBox {
  readonly gitDir: string
  readonly mounts: ReadonlyArray<BindMount>
}

/** One resolved repository: its common git dir and the user host git runs as (undefined: taskq's own). */
export interface RepoRef {
  readonly repo: string
  readonly common: string
  readonly owner: RepoOwner
  readonly runAs: RepoOwner | undefined
}

export type GitRun = (
  stage: string,
  args: ReadonlyArray<string>,
  options?: CommandOptions
) => Effect.Effect<{ readonly stdout: string; readonly exitCode: number }, GitError>

export class Git extends Context.Service<
  Git,
  {
    /** The absolute top level of the work tree holding `dir`; an error when it is not in one. */
    readonly repoRoot: (dir: string) => Effect.Effect<string, InvalidInput>
    /** The checked-out branch, or the commit SHA when HEAD is detached. */
    readonly currentBase: (repo: string) => Effect.Effect<string, InvalidInput>
    /** The commit SHA `rev` names; an error when it names none. */
    readonly resolveCommit: (repo: string, rev: string) => Effect.Effect<string, InvalidInput>
    readonly isValidBranchName: (repo: string, name: string) => Effect.Effect<boolean, GitError>
    /** The repository's common git dir (the main `.git`), absolute. */
    readonly commonDir: (dir: string) => Effect.Effect<string, GitError>
    /** The uid:gid owning the repository's git dir. */
    readonly owner: (repo: string) => Effect.Effect<RepoOwner, GitError>
    /**
     * Adds a worktree at `path` on a new `branch` from `base` (or on the existing `branch` with
     * `reuseBranch`); serialised per repository.
     */
    readonly addWorktree: (
      repo: string,
      path: string,
      branch: string,
      base: string,
      options?: { readonly reuseBranch?: boolean }
    ) => Effect.Effect<void, GitError>
    readonly branchExists: (repo: string, branch: string) => Effect.Effect<boolean, GitError>
    /**
     * The worktree's private git dir in `repo` (`.git/worktrees/<name>`), found from the repository
     * and checked against the worktree's `.git` file: a file that points elsewhere is refused.
     */
    readonly adminDir: (repo: string, worktree: string) => Effect.Effect<string, GitError>
    /** Commits every change in the worktree to its branch, so removing it loses nothing; the new commit or undefined. */
    readonly snapshot: (repo: string, worktree: string, message: string) => Effect.Effect<string | undefined, GitError>
    readonly listWorktrees: (repo: string) => Effect.Effect<ReadonlyArray<WorktreeInfo>, GitError>
    /** Removes the worktree at `path` (forced: local changes go with it); nothing to do is fine. */
    readonly removeWorktree: (repo: string, path: string) => Effect.Effect<void, GitError>
    /**
     * Deletes `branch`; refused when it has commits not on `base`, unless `force`. A missing
     * branch is fine. Returns whether a branch was deleted.
     */
    readonly deleteBranch: (
      repo: string,
      branch: string,
      base: string,
      options?: { readonly force?: boolean }
    ) => Effect.Effect<boolean, GitError>
    /** The worktree's changes against `base`, untracked files included, without touching its index. */
    /**
     * Creates the agent's private git dir in `boxDir` for the worktree's `branch`: its own refs,
     * index and objects, the repository's objects read-only through alternates. The container sees
     * it through a read-only `.git` file over the worktree's; the repository's own git dir is not mounted.
     */
    readonly prepareBox: (
      repo: string,
      worktree: string,
      branch: string,
      boxDir: string
    ) => Effect.Effect<GitBox, GitError>
    /**
     * Brings the task branch of the private git dir in `boxDir` back into the repository (objects
     * checked, hooks off, ref moved only from where taskq left it); the new tip, or undefined when
     * there was nothing to bring.
     */
    readonly importBox: (
      repo: string,
      worktree: string,
      branch: string,
      boxDir: string
    ) => Effect.Effect<string | undefined, GitError>
  }
>()("taskq/adapters/Git") {
  static readonly layer = Layer.effect(
    Git,
    Effect.gen(function* () {
      const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
      const fs = yield* FileSystem.FileSystem
      const home = yield* Config.option(Config.String("HOME")).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      const exec = (stage: string, cmd: string, args: ReadonlyArray<string>, options: CommandOptions = {}) =>
        runCommand(cmd, args, { ...options, env: { ...HARDENED_ENV, ...options.env } }).pipe(
          Effect.provideService(ChildProcessSpawner.ChildProcessSpawner, spawner)
        )
      /** git found from a directory the user named: that repository, and no other, is trusted. */
      const run = (stage: string, dir: string, args: ReadonlyArray<string>, options: CommandOptions = {}) =>
        exec(stage, "git", [...HARDENING, ...safeDirectories(dir), "-C", dir, ...args], options)
      const git = (dir: string, args: ReadonlyArray<string>, stage = "git") =>
        run(stage, dir, args).pipe(Effect.map((r) => r.stdout.trim()))
      const invalid = (reason: string) => () => Effect.fail(new InvalidInput({ reason }))
      // `stage` names where the caller is, for its own reading; the failure carries the facts
      const fail = (stage: string, stderr: string) => new GitRefused({ reason: stderr })

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
      const commonDir = (dir: string) => git(dir, ["rev-parse", "--path-format=absolute", "--git-common-dir"], "setup")

      const refs = new Map<string, RepoRef>()
      const resolveRepo = Effect.fnUntraced(function* (repo: string) {
        const cached = refs.get(repo)
        if (cached) return cached
        const common = yield* commonDir(repo)
        const info = yield* fs.stat(common).pipe(Effect.mapError((e) => fail("setup", e.message)))
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
        (stage, args, options = {}) => {
          const gitArgs = [
            ...HARDENING,
            `--git-dir=${gitDir}`,
            ...(workTree !== undefined ? [`--work-tree=${workTree}`] : []),
            ...args
          ]
          const [cmd, all] =
            ref.runAs && !asSelf
              ? [
                  "setpriv",
                  [`--reuid=${ref.runAs.uid}`, `--regid=${ref.runAs.gid}`, "--clear-groups", "--", "git", ...gitArgs]
                ]
              : ["git", gitArgs]
          return exec(stage, cmd, all, { cwd: "/", ...options })
        }
      const inRepo = Effect.fnUntraced(function* (repo: string) {
        const ref = yield* resolveRepo(repo)
        return { ref, run: inGitDir(ref, ref.common) }
      })
      const out = (r: { readonly stdout: string }) => r.stdout.trim()

      const readText = (path: string, stage: string) =>
        fs.readFileString(path).pipe(Effect.mapError((e) => fail(stage, `cannot read ${path}: ${e.message}`)))
      /** The worktree's admin dir, from the repository's side, and the worktree's `.git` file checked against it. */
      const adminDirOf = Effect.fnUntraced(function* (ref: RepoRef, worktree: string, stage: string) {
        const admin = `${ref.common}/worktrees`
        const names = yield* fs.readDirectory(admin).pipe(Effect.orElseSucceed((): Array<string> => []))
        let found: string | undefined
        for (const name of names) {
          const back = yield* fs.readFileString(`${admin}/${name}/gitdir`).pipe(Effect.orElseSucceed(() => ""))
          if (back.trim() === `${worktree}/.git`) found = `${admin}/${name}`
        }
        if (!found) return yield* fail(stage, `${worktree} is not a worktree of ${ref.repo}`)
        const dotGit = `${worktree}/.git`
        const info = yield* fs
          .stat(dotGit)
          .pipe(Effect.mapError((e) => fail(stage, `cannot read ${dotGit}: ${e.message}`)))
        const link = yield* fs.readLink(dotGit).pipe(Effect.option)
        const content = info.type === "File" && link._tag === "None" ? yield* readText(dotGit, stage) : ""
        if (gitFileTarget(content, worktree) !== found)
          return yield* fail(
            stage,
            `${dotGit} was tampered with: it no longer points to ${found}, the git dir taskq created; ` +
              `refusing to run git there (inspect it, then restore it or remove the worktree by hand)`
          )
        return found
      })
      const inWorktree = Effect.fnUntraced(function* (repo: string, worktree: string, stage: string) {
        const ref = yield* resolveRepo(repo)
        const admin = yield* adminDirOf(ref, worktree, stage)
        return { ref, admin, run: inGitDir(ref, admin, worktree) }
      })

      const listWorktrees = Effect.fnUntraced(function* (repo: string) {
        const { run } = yield* inRepo(repo)
        return parseWorktrees(out(yield* run("git", ["worktree", "list", "--porcelain"])))
      })
      const branchExists = Effect.fnUntraced(function* (repo: string, branch: string, stage = "setup") {
        const { run } = yield* inRepo(repo)
        const r = yield* run(stage, ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], {
          okExitCodes: [0, 1]
        })
        return r.exitCode === 0
      })
      // another taskq process may hold a git lock in the same repository: retry those briefly
      const isLockContention = (e: GitError) =>
        e._tag === "CommandFailed" &&
        /\.lock'?: File exists|could not lock config file|Unable to create .*\.lock/i.test(e.stderr)

      return Git.of({
        repoRoot: Effect.fn("Git.repoRoot")(function* (dir: string) {
          const inside = yield* git(dir, ["rev-parse", "--is-inside-work-tree"]).pipe(
            Effect.catch(invalid(`${dir} is not a git repository`))
          )
          if (inside !== "true") return yield* new InvalidInput({ reason: `${dir} is not a git work tree` })
          return yield* git(dir, ["rev-parse", "--show-toplevel"]).pipe(
            Effect.catch(invalid(`${dir} is not a git repository`))
          )
        }),
        currentBase: Effect.fn("Git.currentBase")(function* (repo: string) {
          yield* git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).pipe(
            Effect.catch(invalid(`${repo} has no commits yet: commit something first or pass --base`))
          )
          return yield* git(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]).pipe(
            Effect.catch(() => git(repo, ["rev-parse", "HEAD"])),
            Effect.catch(invalid(`cannot read the current branch of ${repo}`))
          )
        }),
        resolveCommit: Effect.fn("Git.resolveCommit")(function* (repo: string, rev: string) {
          return yield* git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]).pipe(
            Effect.catch(invalid(`base ${rev} is not a commit or branch of ${repo}`))
          )
        }),
        isValidBranchName: Effect.fn("Git.isValidBranchName")(function* (repo: string, name: string) {
          const r = yield* run("git", repo, ["check-ref-format", "--branch", name], { okExitCodes: [0, 1, 128] })
          return r.exitCode === 0 && !name.startsWith("-")
        }),
        commonDir,
        owner: (repo) => resolveRepo(repo).pipe(Effect.map((r) => r.owner)),
        addWorktree: Effect.fn("Git.addWorktree")(function* (
          repo: string,
          path: string,
          branch: string,
          base: string,
          options?: { readonly reuseBranch?: boolean }
        ) {
          const { ref, run } = yield* inRepo(repo)
          const args = options?.reuseBranch
            ? ["worktree", "add", path, branch]
            : ["worktree", "add", "-b", branch, path, base]
          // as root for another user's repository: taskq makes the (empty) folder and hands it to them
          if (ref.runAs && !(yield* fs.exists(path).pipe(Effect.orElseSucceed(() => true)))) {
            const owner = ref.runAs
            yield* fs.makeDirectory(path, { recursive: true }).pipe(
              Effect.andThen(fs.chown(path, owner.uid, owner.gid)),
              Effect.mapError((e) => fail("setup", `cannot create ${path}: ${e.message}`))
            )
          }
          yield* run("setup", args).pipe(
            Effect.retry({ while: isLockContention, schedule: Schedule.exponential("50 millis"), times: 8 }),
            serialised(ref.common)
          )
        }),
        listWorktrees,
        branchExists: (repo, branch) => branchExists(repo, branch),
        adminDir: (repo, worktree) => inWorktree(repo, worktree, "setup").pipe(Effect.map((w) => w.admin)),
        snapshot: Effect.fn("Git.snapshot")(function* (repo: string, worktree: string, message: string) {
          const { run } = yield* inWorktree(repo, worktree, "cleanup")
          // git enters a tracked gitlink's directory (a nested repository) to see whether it changed, and
          // that nested git reads the agent's config (filters, fsmonitor): never look inside one
          if (out(yield* run("cleanup", ["status", "--porcelain", "--ignore-submodules=all"])) === "") return undefined
          const tracked = gitlinkPaths((yield* run("cleanup", ["ls-files", "--stage", "-z"])).stdout)
          const outside = tracked.map((p) => `:(top,literal,exclude)${p}`)
          // what cannot be added (a nested repository without commits) stays out, the rest goes in
          yield* run("cleanup", ["add", "-A", "--ignore-errors", "--", ":(top)", ...outside], { okExitCodes: [0, 1] })
          // nested repositories are the agent's own git dirs: never staged as gitlinks, which your
          // own `git status` would enter (and run their config)
          const staged = (yield* run("cleanup", ["diff", "--cached", "--raw", "--no-renames", "-z", ...DIFF_FLAGS]))
            .stdout
          const gitlinks = nestedRepos(staged)
          if (gitlinks.length > 0) yield* run("cleanup", ["rm", "-q", "--cached", "--", ...gitlinks])
          if (out(yield* run("cleanup", ["diff", "--cached", "--name-only"])) === "") return undefined
          // the author configured for the repository (its config, else your ~/.gitconfig), else taskq's
          const configured = Effect.fnUntraced(function* (key: string) {
            const local = out(yield* run("cleanup", ["config", "--get", key], { okExitCodes: [0, 1] }))
            if (local !== "" || Option.isNone(home)) return local
            const file = `${home.value}/.gitconfig` // read as a file: nothing in it runs
            return out(yield* exec("cleanup", "git", ["config", "--file", file, "--get", key], { okExitCodes: [0, 1] }))
          })
          const identity = [
            `user.name=${(yield* configured("user.name")) || "taskq"}`,
            `user.email=${(yield* configured("user.email")) || "taskq@localhost"}`
          ].flatMap((kv) => ["-c", kv])
          yield* run("cleanup", [...identity, "commit", "-q", "--no-verify", "-m", message])
          return out(yield* run("cleanup", ["rev-parse", "HEAD"]))
        }),
        removeWorktree: Effect.fn("Git.removeWorktree")(function* (repo: string, path: string) {
          // as taskq itself: only deletes, and the worktree's folder is in taskq's queue, not the owner's
          const { ref } = yield* inRepo(repo)
          const run = inGitDir(ref, ref.common, undefined, true)
          const registered = (yield* listWorktrees(repo)).some((w) => w.path === path)
          if (registered) {
            yield* adminDirOf(ref, path, "cleanup")
            yield* run("cleanup", ["worktree", "remove", "--force", "--force", path]).pipe(serialised(ref.common))
          }
          yield* run("cleanup", ["worktree", "prune"])
        }),
        deleteBranch: Effect.fn("Git.deleteBranch")(function* (
          repo: string,
          branch: string,
          base: string,
          options?: { readonly force?: boolean }
        ) {
          const { run } = yield* inRepo(repo)
          if (!(yield* branchExists(repo, branch, "cleanup"))) return false
          if (!options?.force) {
            const ahead = Number(out(yield* run("cleanup", ["rev-list", "--count", `${base}..refs/heads/${branch}`])))
            if (ahead > 0) {
              return yield* new BranchNotMerged({ branch, base, ahead })
            }
          }
          yield* run("cleanup", ["branch", "-D", branch])
          return true
        }),
        prepareBox: Effect.fn("Git.prepareBox")(function* (repo, worktree, branch, boxDir) {
          const w = yield* inWorktree(repo, worktree, "setup")
          return yield* prepareBox({ ...w, worktree, branch, boxDir }).pipe(
            Effect.provideService(FileSystem.FileSystem, fs)
          )
        }),
        importBox: Effect.fn("Git.importBox")(function* (repo, worktree, branch, boxDir) {
          const w = yield* inWorktree(repo, worktree, "import")
          const repoRun = inGitDir(w.ref, w.ref.common)
          return yield* importBox({ ...w, repoRun, worktree, branch, boxDir }).pipe(
            Effect.provideService(FileSystem.FileSystem, fs)
          )
        })
      })
    })
  )
  static readonly layerTest = (overrides: Partial<Git["Service"]> = {}) => gitTestLayer(overrides)
}

/** An in-memory Git for unit tests: every call succeeds, `addWorktree` creates the folder; override what a test needs. */
export const gitTestLayer = (overrides: Partial<Git["Service"]> = {}) =>
  Layer.effect(
    Git,
    Effect.gen(function* () {
      const fs = yield* FileSystem.FileSystem
      return Git.of({
        repoRoot: (dir) => Effect.succeed(dir),
        currentBase: () => Effect.succeed("main"),
        resolveCommit: () => Effect.succeed("0".repeat(40)),
        isValidBranchName: () => Effect.succeed(true),
        commonDir: (dir) => Effect.succeed(dir),
        owner: () => Effect.succeed({ uid: currentUid(), gid: 0 }),
        addWorktree: (_repo, path) => fs.makeDirectory(path, { recursive: true }).pipe(Effect.orDie),
        listWorktrees: () => Effect.succeed([]),
        removeWorktree: () => Effect.void,
        deleteBranch: () => Effect.succeed(false),
        branchExists: () => Effect.succeed(false),
        adminDir: (_repo, worktree) => Effect.succeed(worktree),
        snapshot: () => Effect.succeed(undefined),
        prepareBox: (_repo, _worktree, _branch, boxDir) => Effect.succeed({ gitDir: `${boxDir}/git`, mounts: [] }),
        importBox: () => Effect.succeed(undefined),
        ...overrides
      })
    })
  )

/** Paths of the gitlinks (mode 160000) in `ls-files --stage -z` or `ls-tree -r -z` output. */
export const gitlinkPaths = (raw: string): ReadonlyArray<string> =>
  raw
    .split("\0")
    .filter((entry) => entry.startsWith("160000 "))
    .flatMap((entry) => {
      const tab = entry.indexOf("\t")
      return tab < 0 ? [] : [entry.slice(tab + 1)]
    })

/** Paths that `diff --cached --raw -z` shows becoming gitlinks (mode 160000). */
export const nestedRepos = (raw: string): ReadonlyArray<string> => {
  const fields = raw.split("\0")
  const paths: Array<string> = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]?.split(" ") ?? []
    const path = fields[i + 1]
    if (meta[1] === "160000" && path) paths.push(path)
  }
  return paths
}

/** Parses `git worktree list --porcelain`. */
export const parseWorktrees = (text: string): ReadonlyArray<WorktreeInfo> =>
  text
    .split("\n\n")
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name} `))
          ?.slice(name.length + 1)
      const branch = field("branch")
      return { path: field("worktree") ?? "", head: field("HEAD") ?? "", branch: branch?.replace(/^refs\/heads\//, "") }
    })
