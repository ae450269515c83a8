// The names of the spans an effect opens, for tests that check a service's methods are traced.
import { Effect, Tracer } from "effect"

/** Runs `effect` with a tracer that records the name of every span it opens; the names, in order. */
export const spanNamesOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const names: Array<string> = []
    const tracer = Tracer.make({
      span(options) {
        names.push(options.name)
        return new Tracer.NativeSpan(options)
      }
    })
    return effect.pipe(
      Effect.withTracer(tracer),
      Effect.map(() => names as ReadonlyArray<string>)
    )
  })

/** `Service.method` for each method of `service` that no span in `names` is named after. */
export const untracedMethods = (service: string, methods: ReadonlyArray<string>, names: ReadonlyArray<string>) =>
  methods.map((m) => `${service}.${m}`).filter((span) => !names.includes(span))
