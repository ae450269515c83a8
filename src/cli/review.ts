/** `taskq review --id ID`: open the agent's session of a task in review. */
import { Effect, FileSystem, Option } from "effect"
import { Command } from "effect/cli"
import { InvalidInput } from "../core/errors.js"
import { Docker } from "../adapters/Docker.js"
import { Review } from "../adapters/Review.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { reviewElsewhere } from "./remoteReview.js"
import { findServerPassword, type ServerPassword } from "../support/attemptSecrets.js"
import { idFlag, queueDirFlag, runtimeLayer } from "./shared.js"
import { Layer } from "effect"

export const review = Command.make(
  "review",
  { id: idFlag, queueDir: queueDirFlag },
  Effect.fn("cli.review")(function* ({ id }) {
    const fs = yield* FileSystem.FileSystem
    const task = yield* (yield* TaskRepository).get(id)
    const refuse = (reason: string) => Effect.fail(new InvalidInput({ reason: `cannot review ${id}: ${reason}` }))
    if (task.status !== "review") return yield* refuse(`it is ${task.status}, not review`)
    if (yield* reviewElsewhere(task)) return // a runner on another host has it
    if (!task.port || task.port <= 0) return yield* refuse("it has no server port recorded")
    if (!task.container) return yield* refuse("it has no container recorded")
    for (const [what, dir] of [
      ["config", task.opencode_config_dir],
      ["data", task.opencode_data_dir]
    ] as const) {
      if (!dir || !(yield* fs.exists(dir).pipe(Effect.orElseSucceed(() => false))))
        return yield* refuse(`its attempt ${what} dir ${dir ?? "(none)"} is missing`)
    }
    const state = yield* (yield* Docker).inspect(task.container)
    if (Option.isNone(state) || !state.value.running) {
      return yield* refuse(
        `container ${task.container} is ${Option.isNone(state) ? "gone" : "not running"}${Option.isSome(state) ? ` (docker start ${task.container})` : ""}`
      )
    }
    const password = task.opencode_attempt_dir
      ? yield* findServerPassword(task.opencode_attempt_dir)
      : Option.none<ServerPassword>()
    yield* (yield* Review).open({
      ...(Option.isSome(password) ? { password: password.value } : {}),
      taskId: task.id,
      container: task.container,
      port: task.port,
      sessionId: task.session_id,
      configDir: task.opencode_config_dir ?? "",
      dataDir: task.opencode_data_dir ?? "",
      worktree: task.worktree_path
    })
  })
).pipe(
  Command.withDescription("Open a reviewed task's agent session (OpenChamber, else the terminal UI)"),
  Command.provide(({ queueDir }) => Review.layer.pipe(Layer.provideMerge(runtimeLayer(queueDir))))
)
