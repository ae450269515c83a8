/** Timestamps: timezone-aware UTC ISO-8601, read from Effect's Clock so tests can drive time. */
import { Clock, Effect } from "effect"

export const nowIso: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())
