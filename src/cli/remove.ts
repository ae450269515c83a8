/** `taskq remove --id ID [--purge]`. */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { TaskRepository } from "../store/TaskRepository.js"
import { withTaskLock } from "../store/taskLock.js"
import { idFlag, queueDirFlag, queueLayer } from "./shared.js"

export const remove = Command.make(
  "remove",
  {
    id: idFlag,
    purge: Flag.Boolean("purge").pipe(
      Flag.withDescription("Also delete the task markdown queue/tasks/<id>.md"),
      Flag.withDefault(false)
    ),
    queueDir: queueDirFlag
  },
  Effect.fn("cli.remove")(function* ({ id, purge }) {
    const removed = yield* (yield* TaskRepository).remove(id, { purge }).pipe(withTaskLock(id, "remove"))
    yield* Console.log(`removed ${removed.id}${purge ? " and its task markdown" : ""}`)
  })
).pipe(
  Command.withDescription("Delete a task record (refused while it is in progress)"),
  Command.provide(({ queueDir }) => queueLayer(queueDir))
)
