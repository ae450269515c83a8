/** Turns `taskq add` input (inline text or a task file, plus flags) into a validated, queued record. */
import { Config, Effect, FileSystem, Option, Path, Result } from "effect"
import { DuplicateTask, InvalidInput } from "../core/errors.js"
import { normalizeId, validateTaskId } from "../core/ids.js"
import { defaultBranch } from "../core/naming.js"
import { type TaskRecord, TaskId } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { stepsForAdd } from "../core/steps.js"
import { Git } from "../adapters/Git.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { QueuePaths } from "../support/paths.js"
import { isRepoUrl, remoteDefaultBranch } from "./mirror.js"
import { checkWorktreePath } from "./worktreePath.js"
import { fileStem, readTaskFile } from "../support/taskFiles.js"

export interface AddInput {
  readonly task: Option.Option<string>
  readonly taskFile: Option.Option<string>
  readonly id: Option.Option<string>
  readonly repo: Option.Option<string>
  readonly base: Option.Option<string>
  readonly branch: Option.Option<string>
  readonly worktreePath: Option.Option<string>
  /** The fields of a single-step task (`--agent`, `--model provider/model`, `--variant`). */
  readonly agent?: Option.Option<string>
  readonly model?: Option.Option<string>
  readonly variant?: Option.Option<string>
}

const invalid = (reason: string) => new InvalidInput({ reason })
const fromResult = <A, E>(r: Result.Result<A, E>) =>
  Result.match(r, { onFailure: Effect.fail, onSuccess: Effect.succeed })

/** Resolves every default, checks the repo, base, branch and id, then adds the task. */
export const addTask = Effect.fn("addTask")(function* (input: AddInput) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const git = yield* Git
  const q = yield* QueuePaths

  if (Option.isSome(input.task) === Option.isSome(input.taskFile)) {
    return yield* invalid("give exactly one of --task TEXT or --task-file FILE")
  }
  const file = Option.isSome(input.taskFile) ? yield* readTaskFile(input.taskFile.value) : undefined
  const fm = file?.frontmatter ?? {}
  const fileDir = file ? path.dirname(path.resolve(file.path)) : path.resolve(".")
  // flags are relative to the current directory, frontmatter paths to the task file's folder
  const fromFlagOrFile = (flag: Option.Option<string>, key: keyof typeof fm, resolve: boolean) =>
    Option.isSome(flag)
      ? resolve
        ? path.resolve(flag.value)
        : flag.value
      : fm[key] !== undefined
        ? resolve
          ? path.resolve(fileDir, fm[key])
          : fm[key]
        : undefined

  const rawId = Option.getOrUndefined(input.id) ?? fm.id ?? (file ? normalizeId(fileStem(path, file.path)) : undefined)
  if (rawId === undefined) return yield* invalid("--task needs --id (or use --task-file)")
  const id = yield* fromResult(validateTaskId(rawId))

  const prompt = file ? file.body : Option.getOrElse(input.task, () => "")
  if (prompt.trim() === "")
    return yield* invalid(
      file ? `${file.path}: the task is empty (no text after the frontmatter)` : "the task is empty"
    )

  // a git URL (file://, ssh://, https://) is a repository runners mirror; only a local path is checked here
  const rawRepo = Option.getOrUndefined(input.repo) ?? fm.repo
  const remote = rawRepo !== undefined && isRepoUrl(rawRepo)
  const repoArg = remote ? rawRepo : fromFlagOrFile(input.repo, "repo", true)
  if (repoArg === undefined)
    return yield* invalid(
      file ? `${file.path}: no repo (set repo in the frontmatter or pass --repo)` : "--task needs --repo"
    )
  if (!remote && !(yield* fs.exists(repoArg).pipe(Effect.orElseSucceed(() => false))))
    return yield* invalid(`repo ${repoArg} does not exist`)
  const repo = remote ? repoArg : yield* git.repoRoot(repoArg)

  const baseArg = fromFlagOrFile(input.base, "base", false)
  const base = baseArg ?? (remote ? yield* remoteDefaultBranch(repo) : yield* git.currentBase(repo))
  if (baseArg !== undefined && !remote) yield* git.resolveCommit(repo, baseArg)

  const branch = fromFlagOrFile(input.branch, "branch", false) ?? defaultBranch(id)
  if (!(yield* git.isValidBranchName(remote ? "." : repo, branch)))
    return yield* invalid(`${JSON.stringify(branch)} is not a valid branch name`)

  const steps = yield* fromResult(
    Result.mapError(
      stepsForAdd(file?.steps, {
        agent: Option.getOrUndefined(input.agent ?? Option.none()),
        model: Option.getOrUndefined(input.model ?? Option.none()),
        variant: Option.getOrUndefined(input.variant ?? Option.none())
      }),
      (reason) => invalid(file ? `${file.path}: ${reason}` : reason)
    )
  )
  const worktreePath = fromFlagOrFile(input.worktreePath, "worktree_path", true) ?? q.defaultWorktree(id)
  if (!remote) {
    const home = yield* Config.option(Config.String("HOME")).pipe(Effect.orElseSucceed(Option.none<string>))
    const tasks = yield* (yield* TaskRepository).list
    if (tasks.some((t) => t.id === id)) return yield* new DuplicateTask({ id })
    yield* checkWorktreePath(worktreePath, { repo, queue: q, tasks, home: Option.getOrUndefined(home) })
  }
  const now = yield* nowIso
  const record: TaskRecord = {
    id: TaskId.make(id),
    repo,
    base,
    branch,
    worktree_path: worktreePath,
    status: "todo",
    attempt: 1,
    created_at: now,
    updated_at: now,
    task_file: q.taskFile(id),
    ...(steps !== undefined ? { steps } : {})
  }
  return yield* (yield* TaskRepository).add({ record, prompt: prompt.endsWith("\n") ? prompt : `${prompt}\n` })
})
