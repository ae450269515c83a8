/**
 * Facts about the host taskq runs on, behind a service so tests can swap them (`Layer.mock`): this
 * runner's identity and whether another runner is alive, and whether a person is at the terminal.
 * Each member is an Effect, so a mock implements only what a test reads. (The container's user is
 * the repository owner's business: pipeline/ownership.ts.)
 */
import { Context, Effect, Layer } from "effect"
import { hostname } from "node:os"

export interface RunnerIdentity {
  readonly hostname: string
  readonly pid: number
  /** `<host>:<pid>`, as task records store it. */
  readonly id: string
}

export interface Terminal {
  /** Both stdin and stdout are terminals: a person can use an interactive program. */
  readonly interactive: boolean
  /** stderr is a terminal: progress lines are worth printing. */
  readonly stderr: boolean
}

export class HostFacts extends Context.Service<
  HostFacts,
  {
    /** This process as a runner. */
    readonly runner: Effect.Effect<RunnerIdentity>
    /** Whether the process `pid` of this host still exists. */
    readonly isAlive: (pid: number) => Effect.Effect<boolean>
    readonly terminal: Effect.Effect<Terminal>
  }
>()("taskq/support/HostFacts") {
  static readonly layer = Layer.succeed(
    HostFacts,
    HostFacts.of({
      runner: Effect.sync(() => {
        const host = runnerHostname()
        return { hostname: host, pid: process.pid, id: `${host}:${process.pid}` }
      }).pipe(Effect.withSpan("HostFacts.runner")),
      isAlive: (pid) => Effect.sync(() => isAlive(pid)).pipe(Effect.withSpan("HostFacts.isAlive")),
      terminal: Effect.sync(() => ({
        interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
        stderr: process.stderr.isTTY === true
      })).pipe(Effect.withSpan("HostFacts.terminal"))
    })
  )
}

/**
 * This machine's name as a runner: its host name, unless `TASKQ_RUNNER_HOST` names it otherwise (how
 * other hosts reach it, for `review`; several runners of one machine posing as hosts in tests).
 */
const runnerHostname = (): string => process.env["TASKQ_RUNNER_HOST"] || hostname()

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: alive, but someone else's
    return typeof e === "object" && e !== null && "code" in e && e.code === "EPERM"
  }
}
