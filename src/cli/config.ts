/** `taskq config [--json]`: every effective setting and where it came from (flag, env, file, default). */
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { describeConfig, runSettingNames, settingFlags, TaskqConfig } from "../support/config.js"
import { configLayer, jsonFlag, queueDirFlag } from "./shared.js"

const show = (v: unknown) => (v === undefined ? "(unset)" : typeof v === "string" ? v || '""' : String(v))

/** One row per setting: name, value, origin, and the flag / variable / taskq.json key that set it. */
export const renderConfig = (rows: ReturnType<typeof describeConfig>): string => {
  const cells = [
    ["SETTING", "VALUE", "FROM", "SET WITH"],
    ...rows.map((r) => [
      r.name,
      show(r.value),
      r.origin,
      [r.flag, r.env, r.file_key ? `taskq.json "${r.file_key}"` : undefined].filter(Boolean).join(", ")
    ])
  ]
  const widths = [0, 1, 2].map((i) => Math.max(...cells.map((c) => (c[i] ?? "").length)))
  return cells
    .map((c) =>
      c
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

export const config = Command.make(
  "config",
  { json: jsonFlag, settings: settingFlags(runSettingNames), queueDir: queueDirFlag },
  Effect.fn("cli.config")(function* ({ json }) {
    const c = yield* TaskqConfig
    const rows = describeConfig(c)
    if (json) return yield* Console.log(JSON.stringify({ file: c.file ?? null, settings: rows }, null, 2))
    yield* Console.log(renderConfig(rows))
    yield* Console.log(`\nqueue/taskq.json: ${c.file ?? "none"}; precedence: flag > env > file > default`)
  })
).pipe(
  Command.withDescription("Show the effective settings and where each came from (flag, env, taskq.json, default)"),
  Command.provide(({ queueDir, settings }) => configLayer(queueDir, settings))
)
