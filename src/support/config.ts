/**
 * TaskqConfig: every setting of taskq, read once. The parts live beside it:
 * - `settings.ts`: the one table `settings` (adding a setting is one line there),
 * - `settingKinds.ts`: the kinds of values (Schema, what a bad value should be, flag),
 * - `configSources.ts`: flag > environment > `queue/taskq.json` > default, and `ConfigInvalid`,
 * - `configRendering.ts`: a command's setting flags and the rows of `taskq config`.
 * This module re-exports them: importers need only `support/config.js`.
 */
import { Context, Layer } from "effect"
import { type ConfigInput, resolveConfig, resolveFromEnvironment, type ResolvedConfig } from "./configSources.js"
import { settingNames, settingOf, type SettingValues } from "./settings.js"

export { type Kind, kinds } from "./settingKinds.js"
export {
  envSetting,
  fileSetting,
  type FlagValues,
  runSetting,
  type Setting,
  type SettingName,
  type Settings,
  settings,
  type SettingValues
} from "./settings.js"
export { ConfigInvalid, type ConfigInput, type Origin, resolveConfig, type ResolvedConfig } from "./configSources.js"
export { describeConfig, runSettingNames, settingFlags } from "./configRendering.js"

/** The effective settings of this run of taskq. */
export class TaskqConfig extends Context.Service<TaskqConfig, ResolvedConfig>()("taskq/support/TaskqConfig") {
  /** Environment and built-in defaults (no flags, no taskq.json): for tests and tools. */
  static readonly layer = Layer.effect(TaskqConfig, resolveFromEnvironment)
  /** What the CLI uses: the command's flags, the environment, the queue's taskq.json, the defaults. */
  static readonly layerFrom = (input: ConfigInput) => Layer.effect(TaskqConfig, resolveConfig(input))
  /** The built-in defaults with `overrides`; reads nothing. */
  static readonly layerTest = (overrides: Partial<SettingValues> = {}) =>
    Layer.succeed(TaskqConfig, {
      values: { ...defaults(), ...overrides },
      origins: Object.fromEntries(
        settingNames.map((n) => [n, n in overrides ? "flag" : "default"])
      ) as ResolvedConfig["origins"],
      file: undefined
    })
}

const defaults = (): SettingValues =>
  Object.fromEntries(settingNames.map((n) => [n, settingOf(n).default])) as SettingValues
