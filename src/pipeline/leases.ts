/**
 * Leases of a shared queue (PostgreSQL): a runner that stops renewing the lease of a task it claimed
 * (killed, host down, cut off) loses the task; the next runner that looks, on any host, records it
 * failed at stage `runner`. Containers of such a task are stopped when they are on this host; one on
 * another host is out of reach and left to that host's own recovery.
 */
import { Effect, Option } from "effect"
import { Docker } from "../adapters/Docker.js"
import { SharedQueue } from "../store/pg/SharedQueue.js"

/** Fails the tasks whose lease expired (each once, whoever gets there first); returns them. */
export const reapExpiredLeases = Effect.fn("reapExpiredLeases")(function* () {
  const shared = yield* Effect.serviceOption(SharedQueue)
  if (Option.isNone(shared)) return []
  const docker = yield* Docker
  const reaped = yield* shared.value.reapExpired
  for (const task of reaped) {
    const containers = yield* docker.listTaskContainers(task.id).pipe(Effect.orElseSucceed(() => []))
    yield* Effect.forEach(containers, (c) => docker.stop(c.id).pipe(Effect.ignore), { discard: true })
  }
  return reaped
})
