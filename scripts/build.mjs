// Bundles src/bin.ts into dist/main.mjs behind a tiny launcher dist/taskq.mjs that turns on Node's
// on-disk compile cache before loading it. Code splitting: each subcommand (src/cli/entry.ts loads
// them with import()) and what only it needs go into dist/chunks/, so a command loads only its own
// code; what all commands share stays in main.mjs and a few shared chunks.
import { build } from "esbuild"
import { chmod, readFile, rm, writeFile } from "node:fs/promises"

await rm("dist", { recursive: true, force: true })
const result = await build({
  entryPoints: { main: "src/bin.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node22",
  // whitespace and syntax only: identifiers stay readable in stack traces
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  metafile: process.env.TASKQ_BUILD_META === "1",
  // dockerode pulls optional native modules (ssh2, cpu-features): load it from node_modules at run time
  external: ["dockerode"],
  banner: {
    // CommonJS dependencies (gray-matter, proper-lockfile) call require() for Node built-ins
    js: "import { createRequire as __taskqCreateRequire } from 'node:module'; const require = __taskqCreateRequire(import.meta.url);"
  },
  logLevel: "warning"
})
if (result.metafile) await writeFile("dist/meta.json", JSON.stringify(result.metafile))
// `taskq --version` is answered by the launcher itself, without loading the CLI: the version in
// src/cli/entry.ts (what the CLI prints) must be package.json's
const { version } = JSON.parse(await readFile("package.json", "utf8"))
const cliVersion = (await readFile("src/cli/entry.ts", "utf8")).match(/export const VERSION = "([^"]+)"/)?.[1]
if (cliVersion !== version) throw new Error(`src/cli/entry.ts says VERSION ${cliVersion}, package.json ${version}`)
const launcher = `#!/usr/bin/env node
import module from "node:module"
const args = process.argv.slice(2)
if (args.length === 1 && ["--version", "-v", "version"].includes(args[0])) {
  process.stdout.write("taskq v${version}\\n")
} else {
  // caches V8 bytecode of the bundle (Node >= 22.1); start-up drops by about half on a warm cache
  module.enableCompileCache?.()
  await import("./main.mjs")
}
`
await writeFile("dist/taskq.mjs", launcher)
await chmod("dist/taskq.mjs", 0o755)
