/**
 * Git, through its command line: repository checks, worktrees, branches, and the agent's private
 * git dir (gitBox.ts). Host-side git never executes configuration the agent could have written
 * (gitSafety.ts): calls on a task use the git dir taskq created, verified first (gitCommand.ts).
 */
import { Config, Context, Effect, FileSystem, Layer, Option, Schedule } from "effect"
import { InvalidInput } from "../core/errors.js"
import { currentUid } from "../support/user.js"
import { type GitBox, importBox, prepareBox } from "./gitBox.js"
import { makeGitCommands, refused, type RepoOwner, stdoutOf as out } from "./gitCommand.js"
import { BranchNotMerged, type GitError } from "./gitErrors.js"
import { parseWorktrees, type WorktreeInfo } from "./gitOutput.js"
import { snapshot } from "./gitSnapshot.js"

export type { GitBox } from "./gitBox.js"

// another taskq process may hold a git lock in the same repository: retry those briefly
const isLockContention = (e: GitError) =>
  e._tag === "CommandFailed" &&
  /\.lock'?: File exists|could not lock config file|Unable to create .*\.lock/i.test(e.stderr)

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
    /**
     * Commits every change in the worktree to its branch, so removing it loses nothing; the new
     * commit, or undefined when there was nothing to commit.
     */
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
      const fs = yield* FileSystem.FileSystem
      const home = yield* Config.option(Config.String("HOME")).pipe(Effect.orElseSucceed(() => Option.none<string>()))
      const { exec, inDir, serialised, commonDir, resolveRepo, inGitDir, inRepo, adminDirOf, inWorktree } =
        yield* makeGitCommands
      const git = (dir: string, args: ReadonlyArray<string>) => inDir(dir, args).pipe(Effect.map(out))
      const invalid = (reason: string) => () => Effect.fail(new InvalidInput({ reason }))

      const listWorktrees = Effect.fn("Git.listWorktrees")(function* (repo: string) {
        const { run } = yield* inRepo(repo)
        return parseWorktrees(out(yield* run(["worktree", "list", "--porcelain"])))
      })
      const branchExists = Effect.fn("Git.branchExists")(function* (repo: string, branch: string) {
        const { run } = yield* inRepo(repo)
        const r = yield* run(["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], { okExitCodes: [0, 1] })
        return r.exitCode === 0
      })
      /** A key of the user's own ~/.gitconfig, read as a file: nothing in it runs. */
      const userConfig = (key: string) =>
        Option.isNone(home)
          ? Effect.succeed("")
          : exec("git", ["config", "--file", `${home.value}/.gitconfig`, "--get", key], { okExitCodes: [0, 1] }).pipe(
              Effect.map(out)
            )

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
          const r = yield* inDir(repo, ["check-ref-format", "--branch", name], { okExitCodes: [0, 1, 128] })
          return r.exitCode === 0 && !name.startsWith("-")
        }),
        commonDir: Effect.fn("Git.commonDir")(function* (dir: string) {
          return yield* commonDir(dir)
        }),
        owner: Effect.fn("Git.owner")(function* (repo: string) {
          return (yield* resolveRepo(repo)).owner
        }),
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
              Effect.mapError((e) => refused(`cannot create ${path}: ${e.message}`))
            )
          }
          yield* run(args).pipe(
            Effect.retry({ while: isLockContention, schedule: Schedule.exponential("50 millis"), times: 8 }),
            serialised(ref.common)
          )
        }),
        listWorktrees,
        branchExists,
        adminDir: Effect.fn("Git.adminDir")(function* (repo: string, worktree: string) {
          return (yield* inWorktree(repo, worktree)).admin
        }),
        snapshot: Effect.fn("Git.snapshot")(function* (repo: string, worktree: string, message: string) {
          const { run } = yield* inWorktree(repo, worktree)
          return yield* snapshot({ run, userConfig, message })
        }),
        removeWorktree: Effect.fn("Git.removeWorktree")(function* (repo: string, path: string) {
          // as taskq itself: only deletes, and the worktree's folder is in taskq's queue, not the owner's
          const { ref } = yield* inRepo(repo)
          const run = inGitDir(ref, ref.common, undefined, true)
          const registered = (yield* listWorktrees(repo)).some((w) => w.path === path)
          if (registered) {
            yield* adminDirOf(ref, path)
            yield* run(["worktree", "remove", "--force", "--force", path]).pipe(serialised(ref.common))
          }
          yield* run(["worktree", "prune"])
        }),
        deleteBranch: Effect.fn("Git.deleteBranch")(function* (
          repo: string,
          branch: string,
          base: string,
          options?: { readonly force?: boolean }
        ) {
          const { run } = yield* inRepo(repo)
          if (!(yield* branchExists(repo, branch))) return false
          if (!options?.force) {
            const ahead = Number(out(yield* run(["rev-list", "--count", `${base}..refs/heads/${branch}`])))
            if (ahead > 0) {
              return yield* new BranchNotMerged({ branch, base, ahead })
            }
          }
          yield* run(["branch", "-D", branch])
          return true
        }),
        prepareBox: Effect.fn("Git.prepareBox")(function* (repo, worktree, branch, boxDir) {
          const w = yield* inWorktree(repo, worktree)
          return yield* prepareBox({ ...w, worktree, branch, boxDir }).pipe(
            Effect.provideService(FileSystem.FileSystem, fs)
          )
        }),
        importBox: Effect.fn("Git.importBox")(function* (repo, worktree, branch, boxDir) {
          const w = yield* inWorktree(repo, worktree)
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

/**
 * An in-memory Git for unit tests: every call succeeds, `addWorktree` creates the folder; override
 * what a test needs.
 */
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
