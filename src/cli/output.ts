/**
 * How the CLI reports bad input: one line on stderr, exit code 1, never a help dump. Help is shown
 * only when asked for (`--help`, or a bare `taskq`).
 */
import { Console, Effect, Layer, Runtime, Schema } from "effect"
import { CliError, CliOutput } from "effect/cli"

const errorText = (errors: ReadonlyArray<{ readonly message: string }>) =>
  errors.map((e) => e.message.replace(/\s*\n\s*/g, " ").trim()).join("; ")

/** Prints help and versions on stdout as usual, and a parse error as one line on stderr. */
export const presenterLayer: Layer.Layer<never> = CliOutput.layerPresenter({
  present: (event) => {
    if (event._tag !== "InvalidInvocation") return CliOutput.defaultPresenter.present(event)
    const command = event.commandPath.join(" ")
    // the line already starts with the command: drop the parser's "… in command taskq status"
    const text = errorText(event.errors).replaceAll(` in command ${command}`, "")
    return Console.error(`${command}: ${text} (see: ${command} --help)`)
  }
})

/** User errors (typed failures with a userMessage) as one line, `taskq: <message>`. */
export const formatterLayer: Layer.Layer<never> = CliOutput.layer({
  ...CliOutput.defaultFormatter(),
  formatError: (error) => `taskq: ${errorText([error])}`
})

/** A failure already printed on stderr; runMain exits with 1 and prints nothing more. */
export class ReportedFailure extends Schema.TaggedError<ReportedFailure>()("ReportedFailure", {}) {
  override readonly [Runtime.errorReported] = false
  override readonly [Runtime.errorExitCode] = 1
}

/**
 * Turns every failure into `ReportedFailure` (exit 1). Parse errors and typed errors were already
 * printed by the presenter and formatter above; anything else is printed here as one line.
 */
export const reportFailures = <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A | void, ReportedFailure, R> =>
  program.pipe(
    Effect.catch((error: E) => {
      if (CliError.isCliError(error) && error._tag === "ShowHelp") {
        return error.errors.length === 0 ? Effect.void : Effect.fail(new ReportedFailure())
      }
      if (typeof error === "object" && error !== null && CliError.getUserMessage(error) !== undefined) {
        return Effect.fail(new ReportedFailure())
      }
      const message = error instanceof Error ? error.message : String(error)
      return Console.error(`taskq: ${errorText([{ message }])}`).pipe(
        Effect.andThen(Effect.fail(new ReportedFailure()))
      )
    })
  )
