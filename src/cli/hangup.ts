/**
 * SIGHUP (the terminal was closed) stops taskq like Ctrl-C: the program is interrupted, so every
 * finalizer runs (tasks in flight are recorded as failed, their containers stopped), and the process
 * then exits with 129 (128 + SIGHUP) instead of Node's default of dying on the spot with nothing recorded.
 */
import { Console, Effect, Runtime, Schema } from "effect"
import { ExitCode } from "../core/errors.js"

/** The program was stopped by SIGHUP; its finalizers have run. */
export class Hangup extends Schema.TaggedError<Hangup>()("Hangup", {}) {
  override readonly [Runtime.errorReported] = false
  override readonly [Runtime.errorExitCode] = ExitCode.Hangup
  override get message() {
    return "stopped by SIGHUP (terminal closed)"
  }
}

/** Completes with `Hangup` at the first SIGHUP; later ones are ignored while the program winds down. */
const hangupSignal = Effect.callback<never, Hangup>((resume) => {
  let seen = false
  const onHangup = () => {
    if (seen) return
    seen = true
    resume(Effect.fail(new Hangup()))
  }
  process.on("SIGHUP", onHangup)
  return Effect.sync(() => {
    process.removeListener("SIGHUP", onHangup)
  })
})

/** Runs `program`; a SIGHUP interrupts it, waits for its finalizers, and fails with `Hangup` (exit 129). */
export const interruptOnHangup = <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E | Hangup, R> =>
  Effect.raceFirst(
    program,
    hangupSignal.pipe(Effect.tapError((e) => Console.error(`taskq: ${e.message}`).pipe(Effect.ignore)))
  )
