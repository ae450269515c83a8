// A child process that adds tasks <argv[3]>-0, -1, ... to the queue at argv[2] as fast as it can, forever.
// The crash-safety test kills it with SIGKILL at random moments.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { TaskRepository } from "../../src/store/TaskRepository.js"
import { sampleRecord, storeAt } from "./layers.js"

const root = process.argv[2] ?? "queue"
const prefix = process.argv[3] ?? "W"
const program = Effect.gen(function* () {
  const tasks = yield* TaskRepository
  for (let i = 0; ; i++)
    yield* tasks.add({ record: sampleRecord(`${prefix}-${i}`, root), prompt: `writer task ${i}\n` })
})
program.pipe(Effect.provide(storeAt(root)), NodeRuntime.runMain)
