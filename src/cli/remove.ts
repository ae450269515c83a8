/** `taskq remove --id ID [--purge] [--force]`. */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { removeTask } from "../pipeline/cleanup.js"
import { withTaskLock } from "../store/taskLock.js"
import { idFlag, queueDirFlag, runtimeLayer } from "./shared.js"

const bool = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

export const remove = Command.make(
  "remove",
  {
    id: idFlag,
    purge: bool("purge", "Also delete the task markdown queue/tasks/<id>.md"),
    force: bool("force", "Clean up the task's containers, worktree and agent state first (as cleanup does)"),
    queueDir: queueDirFlag
  },
  Effect.fn("cli.remove")(function* ({ id, purge, force }) {
    const { removed, actions } = yield* removeTask(id, { purge, force }).pipe(withTaskLock(id, "remove"))
    if (actions.length > 0) yield* Console.log(`${removed.id}: ${actions.join("; ")}`)
    yield* Console.log(`removed ${removed.id}${purge ? " and its task markdown" : ""}`)
  })
).pipe(
  Command.withDescription(
    "Delete a task record and its error report " +
      "(refused while it runs, or while it has a container, worktree or agent state: see --force)"
  ),
  Command.provide(({ queueDir }) => runtimeLayer(queueDir, {}, { existing: true }))
)
