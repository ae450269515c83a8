/** How the settings show in the CLI: the flags of a command, and the rows of `taskq config`. */
import type { Option } from "effect"
import { Flag } from "effect/cli"
import type { ResolvedConfig } from "./configSources.js"
import { showValue } from "./settingKinds.js"
import { type SettingName, settingNames, settingOf } from "./settings.js"

/**
 * The flags of the settings that have one among `which`, each optional (absent = not given), for a
 * command's flag record; the handler passes what it got to `TaskqConfig.layerFrom({ flags })`.
 */
export const settingFlags = <const K extends SettingName>(which: ReadonlyArray<K>) => {
  const out: Partial<Record<K, Flag.Flag<Option.Option<unknown>>>> = {}
  for (const n of which) {
    const s = settingOf(n)
    if (s.flag === undefined) continue
    const env = s.env ? `$${s.env}, ` : ""
    const def = s.default === undefined ? "unset" : showValue(s.default)
    out[n] = s.kind
      .flag(s.flag)
      .pipe(
        Flag.withDescription(`${s.doc} (default: ${env}${s.fileKey ? "taskq.json, " : ""}else ${def})`),
        Flag.optional
      )
  }
  return out as Record<K, Flag.Flag<Option.Option<unknown>>>
}

/** Names of the settings that `taskq run` takes as flags. */
export const runSettingNames = settingNames.filter(
  (n) => settingOf(n).fileKey !== undefined && settingOf(n).flag !== undefined
)

/** One row per setting for `taskq config`: name, value, origin, and how to set it. */
export const describeConfig = (c: ResolvedConfig) =>
  settingNames.map((n) => {
    const s = settingOf(n)
    return {
      name: n,
      value: s.kind.redact && typeof c.values[n] === "string" ? s.kind.redact(c.values[n]) : c.values[n],
      origin: c.origins[n],
      ...(s.flag ? { flag: `--${s.flag}` } : {}),
      ...(s.env ? { env: s.env } : {}),
      ...(s.fileKey ? { file_key: s.fileKey } : {}),
      doc: s.doc
    }
  })
