// Builds dist/taskq.mjs once, so the child-process tests run the same bundle users install, and
// bounds the whole run: a suite that hangs (a Docker call that never answers) fails instead of
// sitting silent. Each test has its own timeout too (vitest.config.ts), which names the test.
import { execFileSync } from "node:child_process"

/** The whole suite's limit: TASKQ_TEST_SUITE_TIMEOUT_S, else 40 minutes. */
const suiteLimitMs = Number(process.env.TASKQ_TEST_SUITE_TIMEOUT_S ?? 2400) * 1000

export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" })
  const started = Date.now()
  const timer = setTimeout(() => {
    process.stderr.write(
      `\ntaskq tests: the suite exceeded its limit of ${suiteLimitMs / 1000} s ` +
        `(${Math.round((Date.now() - started) / 1000)} s); stopping. Set TASKQ_TEST_SUITE_TIMEOUT_S to change it.\n`
    )
    process.exit(1)
  }, suiteLimitMs)
  timer.unref()
  return () => clearTimeout(timer)
}
