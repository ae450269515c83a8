/** Running an external command: output collected, a non-zero exit (or no start at all) -> CommandFailed. */
import { Effect, Stream } from "effect"
import { ChildProcess, ChildProcessSpawner } from "effect/process"
import { CommandFailed, ExitCode } from "../core/errors.js"

export interface CommandResult {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

export interface CommandOptions {
  readonly cwd?: string
  readonly env?: Record<string, string>
  /** Exit codes that are not failures (default: only 0). */
  readonly okExitCodes?: ReadonlyArray<number>
}

const text = <E>(s: Stream.Stream<Uint8Array, E>) => s.pipe(Stream.decodeText(), Stream.mkString)

/** Runs `cmd args` to completion; the process is killed if the effect is interrupted. */
export const runCommand = Effect.fnUntraced(function* (
  cmd: string,
  args: ReadonlyArray<string>,
  options: CommandOptions = {}
) {
  const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
  const result = yield* Effect.scoped(
    Effect.gen(function* () {
      const handle = yield* spawner.spawn(
        ChildProcess.make(cmd, args, {
          ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
          ...(options.env !== undefined ? { env: options.env, extendEnv: true } : {}),
          stdin: "ignore"
        })
      )
      const [stdout, stderr, code] = yield* Effect.all([text(handle.stdout), text(handle.stderr), handle.exitCode], {
        concurrency: "unbounded"
      })
      return { stdout, stderr, exitCode: Number(code) }
    })
  ).pipe(
    Effect.catchTag("PlatformError", (e) =>
      Effect.fail(
        new CommandFailed({
          command: cmd,
          args,
          exitCode: ExitCode.CannotRun,
          stdout: "",
          stderr: `${cmd}: ${e.message}`,
          cause: e
        })
      )
    )
  )
  if (!(options.okExitCodes ?? [0]).includes(result.exitCode))
    return yield* new CommandFailed({ command: cmd, args, ...result })
  return result
})
