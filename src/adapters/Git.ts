/** Git, through its command line: repository checks, worktrees, branches, diffs. */
import { Context, Effect, FileSystem, Layer, Schedule, Semaphore } from "effect"
import { ChildProcessSpawner } from "effect/process"
import { InvalidInput, StageError } from "../core/errors.js"
import { type CommandOptions, runCommand } from "../support/process.js"

export interface WorktreeInfo {
  readonly path: string
  readonly head: string
  readonly branch: string | undefined
}

export class Git extends Context.Service<
  Git,
  {
    /** The absolute top level of the work tree holding `dir`; an error when it is not in one. */
    readonly repoRoot: (dir: string) => Effect.Effect<string, InvalidInput>
    /** The checked-out branch, or the commit SHA when HEAD is detached. */
    readonly currentBase: (repo: string) => Effect.Effect<string, InvalidInput>
    /** The commit SHA `rev` names; an error when it names none. */
    readonly resolveCommit: (repo: string, rev: string) => Effect.Effect<string, InvalidInput>
    readonly isValidBranchName: (repo: string, name: string) => Effect.Effect<boolean, StageError>
    /** The repository's common git dir (the main `.git`), absolute. */
    readonly commonDir: (dir: string) => Effect.Effect<string, StageError>
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
    ) => Effect.Effect<void, StageError>
    readonly branchExists: (repo: string, branch: string) => Effect.Effect<boolean, StageError>
    /** The worktree's private git dir (`.git/worktrees/<name>`), absolute. */
    readonly adminDir: (worktree: string) => Effect.Effect<string, StageError>
    /** Commits every change in the worktree to its branch, so removing it loses nothing; the new commit or undefined. */
    readonly snapshot: (worktree: string, message: string) => Effect.Effect<string | undefined, StageError>
    readonly listWorktrees: (repo: string) => Effect.Effect<ReadonlyArray<WorktreeInfo>, StageError>
    /** Removes the worktree at `path` (forced: local changes go with it); nothing to do is fine. */
    readonly removeWorktree: (repo: string, path: string) => Effect.Effect<void, StageError>
    /**
     * Deletes `branch`; refused when it has commits not on `base`, unless `force`. A missing
     * branch is fine. Returns whether a branch was deleted.
     */
    readonly deleteBranch: (
      repo: string,
      branch: string,
      base: string,
      options?: { readonly force?: boolean }
    ) => Effect.Effect<boolean, StageError>
    /** The worktree's changes against `base`, untracked files included, without touching its index. */
    readonly diff: (worktree: string, base: string) => Effect.Effect<string, StageError>
  }
>()("taskq/adapters/Git") {
  static readonly layer = Layer.effect(
    Git,
    Effect.gen(function* () {
      const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
      const fs = yield* FileSystem.FileSystem
      const run = (stage: string, dir: string, args: ReadonlyArray<string>, options: CommandOptions = {}) =>
        runCommand(stage, "git", ["-c", "safe.directory=*", "-C", dir, ...args], options).pipe(
          Effect.provideService(ChildProcessSpawner.ChildProcessSpawner, spawner)
        )
      const git = (dir: string, args: ReadonlyArray<string>, stage = "git") =>
        run(stage, dir, args).pipe(Effect.map((r) => r.stdout.trim()))
      const invalid = (reason: string) => () => Effect.fail(new InvalidInput({ reason }))

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
      // another taskq process may hold a git lock in the same repository: retry those briefly
      const isLockContention = (e: StageError) =>
        /\.lock'?: File exists|could not lock config file|Unable to create .*\.lock/i.test(e.stderr)

      const listWorktrees = (repo: string) =>
        git(repo, ["worktree", "list", "--porcelain"]).pipe(Effect.map(parseWorktrees))

      return Git.of({
        repoRoot: Effect.fn("Git.repoRoot")(function* (dir: string) {
          const inside = yield* git(dir, ["rev-parse", "--is-inside-work-tree"]).pipe(
            Effect.catchTag("StageError", invalid(`${dir} is not a git repository`))
          )
          if (inside !== "true") return yield* new InvalidInput({ reason: `${dir} is not a git work tree` })
          return yield* git(dir, ["rev-parse", "--show-toplevel"]).pipe(
            Effect.catchTag("StageError", invalid(`${dir} is not a git repository`))
          )
        }),
        currentBase: Effect.fn("Git.currentBase")(function* (repo: string) {
          yield* git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).pipe(
            Effect.catchTag("StageError", invalid(`${repo} has no commits yet: commit something first or pass --base`))
          )
          return yield* git(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]).pipe(
            Effect.catchTag("StageError", () => git(repo, ["rev-parse", "HEAD"])),
            Effect.catchTag("StageError", invalid(`cannot read the current branch of ${repo}`))
          )
        }),
        resolveCommit: Effect.fn("Git.resolveCommit")(function* (repo: string, rev: string) {
          return yield* git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]).pipe(
            Effect.catchTag("StageError", invalid(`base ${rev} is not a commit or branch of ${repo}`))
          )
        }),
        isValidBranchName: Effect.fn("Git.isValidBranchName")(function* (repo: string, name: string) {
          const r = yield* run("git", repo, ["check-ref-format", "--branch", name], { okExitCodes: [0, 1, 128] })
          return r.exitCode === 0 && !name.startsWith("-")
        }),
        commonDir,
        addWorktree: Effect.fn("Git.addWorktree")(function* (
          repo: string,
          path: string,
          branch: string,
          base: string,
          options?: { readonly reuseBranch?: boolean }
        ) {
          const key = yield* commonDir(repo)
          const args = options?.reuseBranch
            ? ["worktree", "add", path, branch]
            : ["worktree", "add", "-b", branch, path, base]
          yield* git(repo, args, "setup").pipe(
            Effect.retry({ while: isLockContention, schedule: Schedule.exponential("50 millis"), times: 8 }),
            serialised(key)
          )
        }),
        listWorktrees,
        branchExists: (repo, branch) =>
          run("setup", repo, ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], { okExitCodes: [0, 1] }).pipe(
            Effect.map((r) => r.exitCode === 0)
          ),
        adminDir: (worktree) => git(worktree, ["rev-parse", "--absolute-git-dir"], "setup"),
        snapshot: Effect.fn("Git.snapshot")(function* (worktree: string, message: string) {
          const status = yield* git(worktree, ["status", "--porcelain"], "cleanup")
          if (status === "") return undefined
          yield* git(worktree, ["add", "-A"], "cleanup")
          yield* run("cleanup", worktree, [
            "-c",
            "user.name=taskq",
            "-c",
            "user.email=taskq@localhost",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            message
          ])
          return yield* git(worktree, ["rev-parse", "HEAD"], "cleanup")
        }),
        removeWorktree: Effect.fn("Git.removeWorktree")(function* (repo: string, path: string) {
          const registered = (yield* listWorktrees(repo)).some((w) => w.path === path)
          if (registered) {
            const key = yield* commonDir(repo)
            yield* git(repo, ["worktree", "remove", "--force", "--force", path], "cleanup").pipe(serialised(key))
          }
          yield* git(repo, ["worktree", "prune"], "cleanup")
        }),
        deleteBranch: Effect.fn("Git.deleteBranch")(function* (
          repo: string,
          branch: string,
          base: string,
          options?: { readonly force?: boolean }
        ) {
          const exists = yield* run("cleanup", repo, ["show-ref", "--verify", "--quiet", `refs/heads/${branch}`], {
            okExitCodes: [0, 1]
          })
          if (exists.exitCode !== 0) return false
          if (!options?.force) {
            const ahead = Number(yield* git(repo, ["rev-list", "--count", `${base}..refs/heads/${branch}`], "cleanup"))
            if (ahead > 0) {
              return yield* new StageError({
                stage: "cleanup",
                exitCode: 1,
                stdout: "",
                stderr: `branch ${branch} has ${ahead} commit${ahead > 1 ? "s" : ""} not on ${base}; not deleting it (force to override)`
              })
            }
          }
          yield* git(repo, ["branch", "-D", branch], "cleanup")
          return true
        }),
        diff: Effect.fn("Git.diff")(function* (worktree: string, base: string) {
          // a private index: `add -A` stages untracked files for the diff without touching the worktree's own index
          const gitDir = yield* git(worktree, ["rev-parse", "--absolute-git-dir"], "diff")
          const index = `${gitDir}/taskq-diff-index-${process.pid}-${Math.random().toString(36).slice(2)}`
          const env = { GIT_INDEX_FILE: index }
          return yield* Effect.gen(function* () {
            yield* run("diff", worktree, ["read-tree", "HEAD"], { env })
            yield* run("diff", worktree, ["add", "-A"], { env })
            return (yield* run("diff", worktree, ["diff", "--cached", base], { env })).stdout
          }).pipe(Effect.ensuring(fs.remove(index, { force: true }).pipe(Effect.ignore)))
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
        addWorktree: (_repo, path) => fs.makeDirectory(path, { recursive: true }).pipe(Effect.orDie),
        listWorktrees: () => Effect.succeed([]),
        removeWorktree: () => Effect.void,
        deleteBranch: () => Effect.succeed(false),
        diff: () => Effect.succeed(""),
        branchExists: () => Effect.succeed(false),
        adminDir: (worktree) => Effect.succeed(worktree),
        snapshot: () => Effect.succeed(undefined),
        ...overrides
      })
    })
  )

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
