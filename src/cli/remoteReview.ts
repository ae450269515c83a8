/**
 * Review from anywhere: a task's container, session and worktree are on the host whose runner ran it
 * (`host` in the record). `taskq review` on another host says so and prints the one SSH command that
 * reviews it there with the server's port tunnelled here.
 */
import { Console, Effect } from "effect"
import type { TaskRecord } from "../core/task.js"
import { isRepoUrl } from "../pipeline/mirror.js"
import { HostFacts } from "../support/hostFacts.js"

/** The queue dir of the runner that made `attemptDir` (`<queue>/opencode/<id>/attempt-<n>`). */
const queueDirOf = (attemptDir: string | undefined) => attemptDir?.split("/").slice(0, -3).join("/") || undefined

export const sshReviewCommand = (task: TaskRecord): string => {
  const port = task.port ?? 0
  const queueDir = queueDirOf(task.opencode_attempt_dir)
  const remote = `taskq review --id ${task.id}${queueDir ? ` --queue-dir ${queueDir}` : ""}`
  return `ssh -t -L ${port}:127.0.0.1:${port} ${task.host ?? "?"} '${remote}'`
}

/** True (after printing how to reach it) when `task` ran on another host than this one. */
export const reviewElsewhere = Effect.fn("cli.review.elsewhere")(function* (task: TaskRecord) {
  if (task.host === undefined || task.host === (yield* (yield* HostFacts).runner).hostname) return false
  yield* Console.log(
    [
      `${task.id} ran on ${task.host}: its container, session and worktree are there.`,
      `Review it there with its server tunnelled to this machine (same TASKQ_QUEUE_URL on that host):`,
      `  ${sshReviewCommand(task)}`,
      `then open http://127.0.0.1:${task.port ?? "?"}/${task.session_id ? ` (session ${task.session_id})` : ""} here.`,
      isRepoUrl(task.repo) ? `The branch is also at ${task.repo}: git fetch ${task.repo} ${task.branch}` : ""
    ]
      .filter(Boolean)
      .join("\n")
  )
  return true
})
