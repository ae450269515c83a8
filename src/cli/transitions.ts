/** `taskq done|cancel|retry|reject --id ID`: the person's moves of the state machine. */
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import type { Move } from "../core/transitions.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { withTaskLock } from "../store/taskLock.js"
import { idFlag, queueDirFlag, queueLayer } from "./shared.js"

/** What the move records besides the status: a rejected task says so in its note (status row, `status --id`). */
const patchOf = (move: Move) => (move === "reject" ? { error: "rejected in review" } : undefined)

const moveCommand = <const N extends string>(name: N, move: Move, description: string) =>
  Command.make(
    name,
    { id: idFlag, queueDir: queueDirFlag },
    Effect.fn(`cli.${name}`)(function* ({ id }) {
      const tasks = yield* TaskRepository
      const [before, after] = yield* withTaskLock(
        id,
        name
      )(
        Effect.flatMap(tasks.get(id), (b) =>
          Effect.map(tasks.transition(id, move, patchOf(move)), (a) => [b, a] as const)
        )
      )
      const attempt = move === "retry" ? ` (attempt ${after.attempt})` : ""
      yield* Console.log(`${id}: ${before.status} -> ${after.status}${attempt}`)
    })
  ).pipe(
    Command.withDescription(description),
    Command.provide(({ queueDir }) => queueLayer(queueDir))
  )

export const done = moveCommand("done", "done", "Accept a reviewed task (review -> done)")
export const cancel = moveCommand("cancel", "cancel", "Cancel a task (todo, failed or review -> cancelled)")
export const retry = moveCommand("retry", "retry", "Queue a failed task again with a fresh attempt (failed -> todo)")
export const reject = moveCommand(
  "reject",
  "reject",
  "Reject a reviewed result (review -> failed; container and worktree kept)"
)
