/** `taskq review --id ID`: open the agent's session of a task in review (or a failed one, to inspect it). */
import { Effect, Layer } from "effect"
import { Command, Flag } from "effect/cli"
import { Review } from "../adapters/Review.js"
import { revive } from "../pipeline/reviewTask.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { reviewElsewhere } from "./remoteReview.js"
import { idFlag, queueDirFlag, runtimeLayer } from "./shared.js"

export const review = Command.make(
  "review",
  {
    id: idFlag,
    printUrl: Flag.Boolean("print-url").pipe(
      Flag.withDescription("Only print how to open the session (URLs, the attach command); launch nothing"),
      Flag.withDefault(false)
    ),
    queueDir: queueDirFlag
  },
  Effect.fn("cli.review")(function* ({ id, printUrl }) {
    if (yield* reviewElsewhere(yield* (yield* TaskRepository).get(id))) return // a runner on another host has it
    const live = yield* revive(id)
    yield* (yield* Review).open(
      {
        taskId: live.task.id,
        status: live.task.status,
        error: live.task.error,
        container: live.container,
        port: live.port,
        sessionId: live.task.session_id,
        worktree: live.task.worktree_path,
        password: live.password,
        restarted: live.restarted
      },
      { printOnly: printUrl }
    )
  })
).pipe(
  Command.withDescription(
    "Open a task's agent session (OpenChamber, else the terminal UI); starts its stopped container first"
  ),
  Command.provide(({ queueDir }) =>
    Review.layer.pipe(Layer.provideMerge(runtimeLayer(queueDir, {}, { existing: true })))
  )
)
