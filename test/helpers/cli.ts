// Runs the CLI in-process with a TestConsole, returning exit status and captured output.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Exit, Layer } from "effect"
import { TestConsole } from "effect/testing"
import { runCli } from "../../src/cli/taskq.js"

export interface InProcessResult {
  readonly ok: boolean
  readonly stdout: string
  readonly stderr: string
}

export const cli = (...args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(runCli(args))
    const stdout = (yield* TestConsole.logLines).map(String).join("\n")
    const stderr = (yield* TestConsole.errorLines).map(String).join("\n")
    return { ok: Exit.isSuccess(exit), stdout, stderr } satisfies InProcessResult
  }).pipe(Effect.provide(Layer.merge(NodeServices.layer, TestConsole.layer)))
