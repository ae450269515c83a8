/** The success stage: the agent's work brought back to the task branch, and the task in review. */
import { Effect } from "effect"
import type { TaskRecord } from "../core/task.js"
import { nowIso } from "../core/time.js"
import { TaskRepository } from "../store/TaskRepository.js"
import { importAgentCommits } from "./agentCommits.js"
import { type RunOptions, say } from "./attemptTypes.js"
import { publishBranch } from "./mirror.js"
import { park } from "./reviewTask.js"

/** The task moves to review. */
export const successStage = Effect.fn("runTask.success")(function* (task: TaskRecord, options: RunOptions) {
  const tasks = yield* TaskRepository
  // the agent's processes stop before taskq reads its git dir: one left behind could swap what the
  // import has just checked (run --keep-running accepts that race; README, Security model)
  const { container } = yield* tasks.get(task.id)
  if (!options.keepRunning && container) yield* park(container, (m) => say(options, task, "success", m))
  yield* importAgentCommits(task)
  const pushed = yield* publishBranch(task) // a URL repo gets the task branch back
  if (pushed) yield* say(options, task, "success", `pushed ${task.branch} to ${pushed}`)
  const done = yield* tasks.transition(task.id, "ok", { finished_at: yield* nowIso, runner: null })
  yield* say(options, task, "success", `agent finished; ${task.id} is ready for review (taskq review --id ${task.id})`)
  return done
})
