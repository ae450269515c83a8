/** `taskq add`: queue a task from inline text or a task file. */
import { Console, Effect, Layer } from "effect"
import { Command, Flag } from "effect/cli"
import { Git } from "../adapters/Git.js"
import { addTask } from "../pipeline/addTask.js"
import { jsonFlag, queueDirFlag, queueLayer } from "./shared.js"

const text = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)

export const add = Command.make(
  "add",
  {
    task: text("task", "The task prompt (needs --id and --repo)"),
    taskFile: text("task-file", "A markdown task file; its frontmatter may set id, repo, base, branch, worktree_path"),
    id: text("id", "Task id (letters, digits, '.', '_', '-'; default: from the frontmatter or the file name)"),
    repo: text("repo", "The git repository the task works on"),
    base: text("base", "Base branch or commit (default: the repo's current branch)"),
    branch: text("branch", "Branch to create (default: taskq/<id>)"),
    worktreePath: text("worktree-path", "Where the worktree goes (default: <queue>/worktrees/<id>)"),
    agent: text("agent", "The OpenCode agent of a single-step task (e.g. build, plan)"),
    model: text("model", "The model of a single-step task, as provider/model"),
    variant: text("variant", "The model variant of a single-step task (e.g. high)"),
    json: jsonFlag,
    queueDir: queueDirFlag
  },
  Effect.fn("cli.add")(function* (input) {
    const r = yield* addTask(input)
    yield* Console.log(
      input.json ? JSON.stringify(r, null, 2) : `added ${r.id} (repo ${r.repo}, base ${r.base}, branch ${r.branch})`
    )
  })
).pipe(
  Command.withDescription("Queue a task"),
  Command.provide(({ queueDir }) => Layer.merge(queueLayer(queueDir), Git.layer))
)
