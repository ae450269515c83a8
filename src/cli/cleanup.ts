/** `taskq cleanup`: remove what finished tasks left behind; the task markdown stays. */
import { Console, Effect } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import type { TaskStatus } from "../core/task.js"
import { cleanupTasks } from "../pipeline/cleanup.js"
import { queueDirFlag, runtimeLayer } from "./shared.js"

const bool = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

export const cleanup = Command.make(
  "cleanup",
  {
    doneOnly: bool("done-only", "Only done tasks"),
    cancelledOnly: bool("cancelled-only", "Only cancelled tasks"),
    id: Flag.String("id").pipe(Flag.withDescription("Only this task (done, cancelled or failed)"), Flag.optional),
    keepWorktree: bool("keep-worktree", "Leave the worktrees in place"),
    deleteRemoteBranch: bool("delete-remote-branch", "Also delete the task branch at a URL repo (kept by default)"),
    queueDir: queueDirFlag
  },
  Effect.fn("cli.cleanup")(function* ({ doneOnly, cancelledOnly, id, keepWorktree, deleteRemoteBranch }) {
    const statuses: ReadonlyArray<TaskStatus> = doneOnly
      ? ["done"]
      : cancelledOnly
        ? ["cancelled"]
        : ["done", "cancelled"]
    const results = yield* cleanupTasks({ statuses, id, keepWorktree, deleteRemoteBranch })
    const acted = results.filter((r) => r.actions.length > 0)
    for (const r of acted) yield* Console.log(`${r.id}: ${r.actions.join("; ")}`)
    if (acted.length === 0) yield* Console.log("nothing to clean up")
  })
).pipe(
  Command.withDescription("Remove containers, worktrees and agent state of done and cancelled tasks"),
  Command.validate(({ doneOnly, cancelledOnly }) =>
    doneOnly && cancelledOnly
      ? Effect.fail(new CliError.ValidationError({ message: "--done-only and --cancelled-only cannot be combined" }))
      : Effect.void
  ),
  Command.provide(({ queueDir }) => runtimeLayer(queueDir, {}, { existing: true }))
)
