/** The entry point: parse argv, dispatch, exit with the right code. The only runMain. */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { runCliLazy } from "./cli/entry.js"
import { interruptOnHangup } from "./cli/hangup.js"

runCliLazy(process.argv.slice(2)).pipe(interruptOnHangup, Effect.provide(NodeServices.layer), NodeRuntime.runMain)
