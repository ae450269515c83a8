// Builds dist/taskq.mjs once, so the child-process tests run the same bundle users install.
import { execFileSync } from "node:child_process"

export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" })
}
