/** `taskq status --runners`: the live runners of a shared queue and the leases they hold. */
import { Console, Effect, Option } from "effect"
import { InvalidInput } from "../core/errors.js"
import { type RunnerInfo, SharedQueue } from "../store/pg/SharedQueue.js"

export const renderRunners = (runners: ReadonlyArray<RunnerInfo>): string =>
  runners.length === 0
    ? "no live runners"
    : runners
        .map((r) => {
          const draining = r.draining ? "  DRAINING" : ""
          const head = `${r.id}  host ${r.host}${draining}  up since ${r.startedAt}  seen ${r.seenAt}`
          const tasks = r.tasks.map((t) => `  ${t.id}  lease until ${t.leaseExpiresAt ?? "?"}`)
          return [head, ...(tasks.length ? tasks : ["  (no task)"])].join("\n")
        })
        .join("\n")

export const showRunners = Effect.fn("cli.status.runners")(function* (json: boolean) {
  const shared = yield* Effect.serviceOption(SharedQueue)
  if (Option.isNone(shared))
    return yield* new InvalidInput({
      reason: "--runners needs a shared queue (--queue-url postgres://… or TASKQ_QUEUE_URL)"
    })
  const runners = yield* shared.value.runners
  yield* Console.log(json ? JSON.stringify(runners, null, 2) : renderRunners(runners))
})
