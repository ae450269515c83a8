/** The state machine of SPEC §1 as data, and the one function that applies a move. */
import { Result } from "effect"
import { InvalidTransition } from "./errors.js"
import type { TaskRecord, TaskStatus } from "./task.js"
import { withoutRuntime } from "./task.js"

export type Move = "run" | "ok" | "fail" | "reject" | "done" | "retry" | "cancel"

/** For each move: the statuses it may start from and the status it leads to. */
export const transitionTable: Readonly<
  Record<Move, { readonly from: ReadonlyArray<TaskStatus>; readonly to: TaskStatus }>
> = {
  run: { from: ["todo"], to: "in_progress" },
  ok: { from: ["in_progress"], to: "review" },
  fail: { from: ["in_progress"], to: "failed" },
  reject: { from: ["review"], to: "failed" },
  done: { from: ["review"], to: "done" },
  retry: { from: ["failed"], to: "todo" },
  cancel: { from: ["todo", "failed", "review"], to: "cancelled" }
}
export const moves = Object.keys(transitionTable) as ReadonlyArray<Move>

/** Where `move` leads from `status`, or undefined when the table refuses it. */
export const nextStatus = (status: TaskStatus, move: Move): TaskStatus | undefined => {
  const rule = transitionTable[move]
  return rule.from.includes(status) ? rule.to : undefined
}

/**
 * Applies `move` to a record at time `now`. `retry` also increments the attempt and clears the
 * runtime fields; every move stamps `updated_at`.
 */
export const applyMove = (
  record: TaskRecord,
  move: Move,
  now: string
): Result.Result<TaskRecord, InvalidTransition> => {
  const to = nextStatus(record.status, move)
  if (to === undefined) {
    return Result.fail(new InvalidTransition({ id: record.id, status: record.status, move }))
  }
  const base = move === "retry" ? { ...withoutRuntime(record), attempt: record.attempt + 1 } : record
  return Result.succeed({ ...base, status: to, updated_at: now })
}
