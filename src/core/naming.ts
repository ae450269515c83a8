/** Names derived from a task record: its container and its default branch. */

/** `2026-11-25T16:11:01.123Z` -> `20261125T161101Z` (UTC, second precision). */
export const compactTimestamp = (iso: string): string => {
  const d = new Date(iso)
  const p = (n: number, w = 2) => String(n).padStart(w, "0")
  const date = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`
  return `${date}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
}

/** The task's container: `task-<id>-<created-at-compact>`. */
export const containerName = (id: string, createdAt: string): string => `task-${id}-${compactTimestamp(createdAt)}`

export const defaultBranch = (id: string): string => `taskq/${id}`

/** Docker labels that mark a container as belonging to a task attempt. */
export const TASK_LABEL = "taskq.task"
export const ATTEMPT_LABEL = "taskq.attempt"
