/**
 * Opening a task's agent session for a person: OpenChamber when it is installed, otherwise the
 * container's own `opencode attach` in the terminal, with the embedded web UI's URL printed.
 */
import { Config, Console, Context, Effect, FileSystem, Layer, Option, Path, Ref } from "effect"
import { ChildProcess, ChildProcessSpawner } from "effect/process"
import { AGENT_PORT } from "../core/constants.js"
import { CommandFailed, ExitCode } from "../core/errors.js"
import { TaskqConfig } from "../support/config.js"
import { HostFacts } from "../support/hostFacts.js"

export interface ReviewTarget {
  readonly taskId: string
  readonly container: string
  readonly port: number
  readonly sessionId: string | undefined
  readonly configDir: string
  readonly dataDir: string
  readonly worktree: string
  /** The server's password and the 0600 file it is in (tasks run before servers had one: absent). */
  readonly password?: { readonly value: string; readonly file: string }
}

/** What `review` will do, decided from what is installed and whether a person is at a terminal. */
export type ReviewPlan =
  | {
      readonly _tag: "OpenChamber"
      readonly command: string
      readonly args: ReadonlyArray<string>
      readonly env: Readonly<Record<string, string>>
      readonly webUrl: string
    }
  | {
      readonly _tag: "Attach"
      readonly command: "docker"
      readonly args: ReadonlyArray<string>
      readonly env: Readonly<Record<string, string>>
      readonly webUrl: string
    }
  | { readonly _tag: "PrintOnly"; readonly attachCommand: string; readonly webUrl: string }

export const webUrl = (port: number) => `http://127.0.0.1:${port}/`

export const planReview = (
  target: ReviewTarget,
  openchamber: Option.Option<string>,
  interactive: boolean
): ReviewPlan => {
  const url = webUrl(target.port)
  if (Option.isSome(openchamber)) {
    return {
      _tag: "OpenChamber",
      command: openchamber.value,
      args: [],
      webUrl: url,
      env: {
        OPENCODE_HOST: `http://127.0.0.1:${target.port}`,
        OPENCODE_CONFIG_DIR: target.configDir,
        OPENCODE_DATA_DIR: target.dataDir,
        TASKQ_TASK_ID: target.taskId,
        ...(target.password !== undefined ? { OPENCODE_SERVER_PASSWORD: target.password.value } : {}),
        ...(target.sessionId !== undefined ? { TASKQ_SESSION_ID: target.sessionId } : {})
      }
    }
  }
  const args = [
    "exec",
    "-it",
    // the value comes from docker's own environment: never on a command line
    ...(target.password !== undefined ? ["-e", "OPENCODE_SERVER_PASSWORD"] : []),
    target.container,
    "opencode",
    "attach",
    `http://127.0.0.1:${AGENT_PORT}`,
    "--dir",
    target.worktree,
    ...(target.sessionId !== undefined ? ["--session", target.sessionId] : [])
  ]
  const env: Record<string, string> =
    target.password !== undefined ? { OPENCODE_SERVER_PASSWORD: target.password.value } : {}
  const prefix = target.password !== undefined ? `OPENCODE_SERVER_PASSWORD="$(cat ${target.password.file})" ` : ""
  return interactive
    ? { _tag: "Attach", command: "docker", args, env, webUrl: url }
    : { _tag: "PrintOnly", attachCommand: prefix + ["docker", ...args].join(" "), webUrl: url }
}

export class Review extends Context.Service<
  Review,
  {
    /** Carries out the plan for `target`; returns the plan it followed. */
    readonly open: (target: ReviewTarget) => Effect.Effect<ReviewPlan, CommandFailed>
  }
>()("taskq/adapters/Review") {
  static readonly layer = Layer.effect(
    Review,
    Effect.gen(function* () {
      const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const host = yield* HostFacts
      const configured = Option.fromUndefinedOr((yield* TaskqConfig).values.openchamber)
      const pathVar = yield* Config.String("PATH").pipe(
        Config.withDefault(""),
        Effect.orElseSucceed(() => "")
      )

      const findOpenChamber = Effect.gen(function* () {
        if (Option.isSome(configured)) return configured
        for (const dir of pathVar.split(":").filter(Boolean)) {
          const candidate = path.join(dir, "openchamber")
          if (yield* fs.exists(candidate).pipe(Effect.orElseSucceed(() => false))) return Option.some(candidate)
        }
        return Option.none<string>()
      })
      /** Runs a command attached to this terminal and waits for it. */
      const interactive = (command: string, args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}) =>
        Effect.scoped(
          Effect.gen(function* () {
            const handle = yield* spawner.spawn(
              ChildProcess.make(command, args, {
                env: { ...env },
                extendEnv: true,
                stdin: "inherit",
                stdout: "inherit",
                stderr: "inherit"
              })
            )
            const code = Number(yield* handle.exitCode)
            if (code !== 0)
              return yield* new CommandFailed({
                command,
                args,
                exitCode: code,
                stdout: "",
                stderr: `${command} exited with ${code}`
              })
          })
        ).pipe(
          Effect.catchTag("PlatformError", (e) =>
            Effect.fail(
              new CommandFailed({
                command,
                args,
                exitCode: ExitCode.CannotRun,
                stdout: "",
                stderr: `${command}: ${e.message}`,
                cause: e
              })
            )
          )
        )

      return Review.of({
        open: Effect.fn("Review.open")(function* (target: ReviewTarget) {
          const plan = planReview(target, yield* findOpenChamber, (yield* host.terminal).interactive)
          switch (plan._tag) {
            case "OpenChamber":
              yield* Console.error(
                `opening ${target.taskId} in OpenChamber (${plan.command}); the agent's web UI is also at ${plan.webUrl}`
              )
              yield* interactive(plan.command, plan.args, plan.env)
              break
            case "Attach":
              yield* Console.error(`OpenChamber is not installed (put openchamber on PATH or set TASKQ_OPENCHAMBER).`)
              yield* Console.error(
                `web UI: ${plan.webUrl}  -  attaching a terminal UI to the session (quit it to return)`
              )
              yield* interactive(plan.command, plan.args, plan.env)
              break
            case "PrintOnly":
              yield* Console.log(`OpenChamber is not installed (put openchamber on PATH or set TASKQ_OPENCHAMBER).`)
              yield* Console.log(`web UI:   ${plan.webUrl}`)
              yield* Console.log(`terminal: ${plan.attachCommand}`)
              break
          }
          return plan
        })
      })
    })
  )

  /** Records the targets it was asked to open and follows the non-interactive plan. */
  static readonly layerTest = (opened: Ref.Ref<ReadonlyArray<ReviewTarget>>) =>
    Layer.succeed(
      Review,
      Review.of({
        open: (target) =>
          Ref.update(opened, (xs) => [...xs, target]).pipe(Effect.as(planReview(target, Option.none(), false)))
      })
    )
}
