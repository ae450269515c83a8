/**
 * Opening a task's agent session for a person: OpenChamber when it is installed (its own interface:
 * `OPENCODE_HOST`, `OPENCODE_SKIP_START`, `OPENCODE_SERVER_PASSWORD`, cwd = the worktree), otherwise
 * the container's own `opencode attach` in the terminal, with the embedded web UI's URL printed.
 */
import { Config, Console, Context, Effect, FileSystem, Layer, Option, Path, Ref } from "effect"
import { ChildProcess, ChildProcessSpawner } from "effect/process"
import { createServer } from "node:net"
import { AGENT_PORT } from "../core/constants.js"
import { CommandFailed, ExitCode } from "../core/errors.js"
import { HostFacts } from "../support/hostFacts.js"

export interface ReviewTarget {
  readonly taskId: string
  /** `review`, or `failed` when a person inspects a failure. */
  readonly status: string
  /** The failure's one-line summary, for a failed task. */
  readonly error?: string | undefined
  readonly container: string
  readonly port: number
  readonly sessionId: string | undefined
  readonly worktree: string
  /** The server's password and the 0600 file it is in (tasks run before servers had one: absent). */
  readonly password?: { readonly value: string; readonly file: string } | undefined
  /** The container was stopped while nobody looked and has just been started again. */
  readonly restarted?: boolean
}

/** What `review` will do, decided from what is installed and whether a person is at a terminal. */
export type ReviewPlan =
  | {
      readonly _tag: "OpenChamber"
      readonly command: string
      readonly args: ReadonlyArray<string>
      /** Exactly OpenChamber's interface to an existing server (the rest of the environment is the user's). */
      readonly env: Readonly<Record<string, string>>
      readonly cwd: string
      /** Opens the task's session in OpenChamber. */
      readonly url: string
      readonly webUrl: string
    }
  | {
      readonly _tag: "Attach"
      readonly command: "docker"
      readonly args: ReadonlyArray<string>
      readonly env: Readonly<Record<string, string>>
      readonly webUrl: string
    }
  | {
      readonly _tag: "PrintOnly"
      readonly attachCommand: string
      readonly webUrl: string
      /** How to open it in OpenChamber, when it is installed. */
      readonly openchamber?: { readonly command: string; readonly url: string }
    }

/** The embedded web UI of the task's server, and where its Basic auth credentials are (never the password itself). */
export const webUrl = (target: Pick<ReviewTarget, "port" | "password">) =>
  `http://127.0.0.1:${target.port}/` +
  (target.password !== undefined ? `  (user opencode, password: cat ${target.password.file})` : "")

/** OpenChamber's interface to a server it does not start. */
export const openChamberEnv = (target: ReviewTarget): Record<string, string> => ({
  OPENCODE_HOST: `http://127.0.0.1:${target.port}`,
  OPENCODE_SKIP_START: "true",
  ...(target.password !== undefined ? { OPENCODE_SERVER_PASSWORD: target.password.value } : {})
})

const sessionUrl = (uiPort: number, sessionId: string | undefined) =>
  `http://127.0.0.1:${uiPort}/${sessionId !== undefined ? `?session=${sessionId}` : ""}`

export const planReview = (
  target: ReviewTarget,
  openchamber: Option.Option<string>,
  mode: { readonly interactive: boolean; readonly printOnly: boolean; readonly uiPort: number }
): ReviewPlan => {
  const url = webUrl(target)
  const chamberArgs = ["--port", String(mode.uiPort)]
  if (Option.isSome(openchamber) && !mode.printOnly) {
    return {
      _tag: "OpenChamber",
      command: openchamber.value,
      args: chamberArgs,
      env: openChamberEnv(target),
      cwd: target.worktree,
      url: sessionUrl(mode.uiPort, target.sessionId),
      webUrl: url
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
  const passwordPrefix =
    target.password !== undefined ? `OPENCODE_SERVER_PASSWORD="$(cat ${target.password.file})" ` : ""
  if (mode.interactive && !mode.printOnly) return { _tag: "Attach", command: "docker", args, env, webUrl: url }
  return {
    _tag: "PrintOnly",
    attachCommand: passwordPrefix + ["docker", ...args].join(" "),
    webUrl: url,
    ...(Option.isSome(openchamber)
      ? {
          openchamber: {
            command:
              `(cd ${target.worktree} && OPENCODE_HOST=http://127.0.0.1:${target.port} OPENCODE_SKIP_START=true ` +
              passwordPrefix +
              `${openchamber.value} ${chamberArgs.join(" ")})`,
            url: sessionUrl(mode.uiPort, target.sessionId)
          }
        }
      : {})
  }
}

/** A free TCP port on 127.0.0.1 for OpenChamber's UI (its own default, 3000, is often taken). */
const freePort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.once("error", () => resume(Effect.succeed(3000)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 3000
    server.close(() => resume(Effect.succeed(port)))
  })
})

export class Review extends Context.Service<
  Review,
  {
    /** Carries out the plan for `target` (`printOnly`: only say how to open it); returns the plan it followed. */
    readonly open: (
      target: ReviewTarget,
      options?: { readonly printOnly?: boolean }
    ) => Effect.Effect<ReviewPlan, CommandFailed>
  }
>()("taskq/adapters/Review") {
  static readonly layer = Layer.effect(
    Review,
    Effect.gen(function* () {
      const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
      const host = yield* HostFacts
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const configured = yield* Config.String("TASKQ_OPENCHAMBER").pipe(
        Config.option,
        Effect.orElseSucceed(() => Option.none<string>())
      )
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
      /**
       * Runs a command attached to this terminal and waits for it. `env` is added to the user's
       * environment, minus the user's own OPENCODE_* settings (they would point at another server).
       */
      const interactive = Effect.fnUntraced(
        function* (
          command: string,
          args: ReadonlyArray<string>,
          env: Readonly<Record<string, string>> = {},
          cwd?: string
        ) {
          const inherited = Object.fromEntries(
            Object.entries(process.env).filter(
              (e): e is [string, string] => e[1] !== undefined && !e[0].startsWith("OPENCODE_")
            )
          )
          const handle = yield* spawner.spawn(
            ChildProcess.make(command, args, {
              env: { ...inherited, ...env },
              extendEnv: false,
              ...(cwd !== undefined ? { cwd } : {}),
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
        },
        Effect.scoped,
        (effect, ...[command, args]) =>
          effect.pipe(
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
      )

      return Review.of({
        open: Effect.fn("Review.open")(function* (target: ReviewTarget, options?: { readonly printOnly?: boolean }) {
          const plan = planReview(target, yield* findOpenChamber, {
            interactive: (yield* host.terminal).interactive,
            printOnly: options?.printOnly === true,
            uiPort: yield* freePort
          })
          if (target.status === "failed")
            yield* Console.log(`${target.taskId} is failed (inspection only): ${target.error ?? "no error recorded"}`)
          if (target.restarted) yield* Console.log(`started ${target.container} again for review`)
          const session = target.sessionId !== undefined ? `session ${target.sessionId}` : "no session recorded"
          switch (plan._tag) {
            case "OpenChamber":
              yield* Console.log(`${target.taskId}: ${session} in OpenChamber at ${plan.url}`)
              yield* Console.log(`(the agent's own web UI: ${plan.webUrl}; Ctrl-C closes OpenChamber)`)
              yield* interactive(plan.command, plan.args, plan.env, plan.cwd)
              break
            case "Attach":
              yield* Console.error(`OpenChamber is not installed (put openchamber on PATH or set TASKQ_OPENCHAMBER).`)
              yield* Console.error(
                `web UI: ${plan.webUrl}  -  attaching a terminal UI to ${session} (quit it to return)`
              )
              yield* interactive(plan.command, plan.args, plan.env)
              break
            case "PrintOnly":
              if (plan.openchamber === undefined)
                yield* Console.log(`OpenChamber is not installed (put openchamber on PATH or set TASKQ_OPENCHAMBER).`)
              yield* Console.log(`${target.taskId}: ${session}`)
              yield* Console.log(`web UI:   ${plan.webUrl}`)
              yield* Console.log(`terminal: ${plan.attachCommand}`)
              if (plan.openchamber !== undefined)
                yield* Console.log(`openchamber: ${plan.openchamber.command}  ->  ${plan.openchamber.url}`)
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
          Ref.update(opened, (xs) => [...xs, target]).pipe(
            Effect.as(planReview(target, Option.none(), { interactive: false, printOnly: true, uiPort: 3000 }))
          )
      })
    )
}
