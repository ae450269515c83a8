/** Per-stage progress for a person at a terminal; silent otherwise. */
import { Console, Effect } from "effect"
import { printable } from "../support/printable.js"

export type Progress = (taskId: string, stage: string, message: string) => Effect.Effect<void>

export const silentProgress: Progress = () => Effect.void

/** `[T-001] execute: server ready on 127.0.0.1:32771` on stderr. */
export const stderrProgress: Progress = (taskId, stage, message) =>
  Console.error(`[${taskId}] ${stage}: ${printable(message)}`)
