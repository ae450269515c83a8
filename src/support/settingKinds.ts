/**
 * The kinds of setting values: for each, the Schema that decodes one, what a bad value is told it
 * should be, and the flag constructor of `taskq run`. Any Schema can be a kind (`steps` is).
 */
import { Schema } from "effect"
import { Flag } from "effect/cli"
import { type Step, StepList } from "../core/steps.js"

/** The type of a setting's values: how to decode one, what to say when it is bad, its flag. */
export interface Kind<A> {
  readonly schema: Schema.Codec<A, unknown>
  readonly expected: string
  readonly flag: (name: string) => Flag.Flag<A>
  /** How `taskq config` shows a value (e.g. without a password), when not as is. */
  readonly redact?: (a: A) => string
}

const withCheck = <A>(base: Schema.Codec<A, unknown>, ok: (a: A) => boolean): Schema.Codec<A, unknown> =>
  base.check(Schema.makeFilter((a: A) => ok(a)))

/** The kinds of setting values. */
export const kinds = {
  int: (min: number): Kind<number> => ({
    schema: withCheck(Schema.Int, (n) => n >= min),
    expected: `an integer >= ${min}`,
    flag: Flag.Int
  }),
  anyInt: { schema: Schema.Int, expected: "an integer", flag: Flag.Int } satisfies Kind<number>,
  positive: { schema: withCheck(Schema.Finite, (n) => n > 0), expected: "a number > 0", flag: Flag.Finite },
  text: { schema: Schema.NonEmptyString, expected: "a non-empty string", flag: Flag.String } satisfies Kind<string>,
  anyText: { schema: Schema.String, expected: "a string", flag: Flag.String } satisfies Kind<string>,
  bool: { schema: Schema.Boolean, expected: "true or false", flag: Flag.Boolean } satisfies Kind<boolean>,
  oneOf: <const L extends ReadonlyArray<string>>(literals: L): Kind<L[number]> => ({
    schema: Schema.Literals(literals),
    expected: `one of ${literals.join(", ")}`,
    flag: (name) => Flag.Literals(name, literals)
  }),
  postgresUrl: {
    schema: withCheck(Schema.String, (s) => /^postgres(ql)?:\/\//.test(s)),
    expected: "a postgres:// URL",
    flag: Flag.String,
    redact: (url) => url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, "$1:***@")
  } satisfies Kind<string>,
  follow: {
    schema: Schema.Literals(["off", "agent", "raw"]),
    expected: "off, agent or raw",
    flag: (name) => Flag.Literals(name, ["agent", "raw", "off"]).pipe(Flag.withOptionalValue("agent"))
  } satisfies Kind<"off" | "agent" | "raw">,
  steps: {
    schema: StepList,
    expected: "a non-empty list of steps {agent, model provider/model, variant, command, prompt}",
    flag: (name) => Flag.String(name).pipe(Flag.withSchema(Schema.fromJsonString(StepList)))
  } satisfies Kind<ReadonlyArray<Step>>,
  unixSocket: {
    schema: withCheck(Schema.String, (s) => /^unix:\/\/\/./.test(s)),
    expected: "a unix socket URL, unix:///path",
    flag: Flag.String
  } satisfies Kind<string>
}

/** A value as a message shows it: strings quoted. */
export const showValue = (value: unknown) => (typeof value === "string" ? JSON.stringify(value) : String(value))
