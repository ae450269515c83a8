/** Spans for every member of a service implementation, named `<Service>.<member>`. */
import { Effect } from "effect"

/**
 * Wraps each Effect member in a span, and each function member returning an Effect so that the
 * Effect it returns runs in one: the same spans `Effect.fn("Service.method")` gives, for a service
 * whose methods are built from shared helpers.
 */
export const traced = <S extends object>(service: string, impl: S): S => {
  const out: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(impl)) {
    const span = `${service}.${name}`
    out[name] = Effect.isEffect(member)
      ? Effect.withSpan(member, span)
      : typeof member === "function"
        ? (...args: ReadonlyArray<unknown>) => {
            const result: unknown = member(...args)
            return Effect.isEffect(result) ? Effect.withSpan(result, span) : result
          }
        : member
  }
  return out as S
}
