/** Git, through its command line. */
import { Context, Effect, Layer } from "effect"
import { ChildProcessSpawner } from "effect/process"
import { InvalidInput, type StageError } from "../core/errors.js"
import { runCommand } from "../support/process.js"

export class Git extends Context.Service<Git, {
  /** The absolute top level of the work tree holding `dir`; an error when it is not in one. */
  readonly repoRoot: (dir: string) => Effect.Effect<string, InvalidInput>
  /** The checked-out branch, or the commit SHA when HEAD is detached. */
  readonly currentBase: (repo: string) => Effect.Effect<string, InvalidInput>
  /** The commit SHA `rev` names; an error when it names none. */
  readonly resolveCommit: (repo: string, rev: string) => Effect.Effect<string, InvalidInput>
  /** Whether `name` is a valid new branch name. */
  readonly isValidBranchName: (repo: string, name: string) => Effect.Effect<boolean, StageError>
}>()("taskq/adapters/Git") {
  static readonly layer = Layer.effect(Git, Effect.gen(function*() {
    const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
    const git = (repo: string, args: ReadonlyArray<string>, stage = "git") =>
      runCommand(stage, "git", ["-C", repo, ...args]).pipe(
        Effect.map((r) => r.stdout.trim()),
        Effect.provideService(ChildProcessSpawner.ChildProcessSpawner, spawner)
      )
    const invalid = (reason: string) => () => Effect.fail(new InvalidInput({ reason }))

    return Git.of({
      repoRoot: Effect.fn("Git.repoRoot")(function*(dir: string) {
        const inside = yield* git(dir, ["rev-parse", "--is-inside-work-tree"]).pipe(
          Effect.catchTag("StageError", invalid(`${dir} is not a git repository`)))
        if (inside !== "true") return yield* new InvalidInput({ reason: `${dir} is not a git work tree` })
        return yield* git(dir, ["rev-parse", "--show-toplevel"]).pipe(
          Effect.catchTag("StageError", invalid(`${dir} is not a git repository`)))
      }),
      currentBase: Effect.fn("Git.currentBase")(function*(repo: string) {
        yield* git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).pipe(
          Effect.catchTag("StageError", invalid(`${repo} has no commits yet: commit something first or pass --base`)))
        return yield* git(repo, ["symbolic-ref", "--quiet", "--short", "HEAD"]).pipe(
          Effect.catchTag("StageError", () => git(repo, ["rev-parse", "HEAD"])),
          Effect.catchTag("StageError", invalid(`cannot read the current branch of ${repo}`)))
      }),
      resolveCommit: Effect.fn("Git.resolveCommit")(function*(repo: string, rev: string) {
        return yield* git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]).pipe(
          Effect.catchTag("StageError", invalid(`base ${rev} is not a commit or branch of ${repo}`)))
      }),
      isValidBranchName: Effect.fn("Git.isValidBranchName")(function*(repo: string, name: string) {
        const r = yield* runCommand("git", "git", ["-C", repo, "check-ref-format", "--branch", name], { okExitCodes: [0, 1, 128] })
          .pipe(Effect.provideService(ChildProcessSpawner.ChildProcessSpawner, spawner))
        return r.exitCode === 0 && !name.startsWith("-")
      })
    })
  }))
}
