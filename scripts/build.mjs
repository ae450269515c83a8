// Bundles src/bin.ts into dist/taskq.mjs: one file, so `taskq` starts without resolving hundreds of modules.
import { build } from "esbuild"
import { chmod } from "node:fs/promises"

const outfile = "dist/taskq.mjs"
await build({
  entryPoints: ["src/bin.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  sourcemap: "linked",
  // dockerode pulls optional native modules (ssh2, cpu-features): load it from node_modules at run time
  external: ["dockerode"],
  banner: {
    // CommonJS dependencies (gray-matter, proper-lockfile) call require() for Node built-ins
    js: "#!/usr/bin/env node\nimport { createRequire as __taskqCreateRequire } from 'node:module'; const require = __taskqCreateRequire(import.meta.url);"
  },
  logLevel: "warning"
})
await chmod(outfile, 0o755)
