// Bundles src/bin.ts into one CommonJS file, dist/taskq.cjs, behind the launcher dist/taskq.mjs
// (scripts/launcher.mjs), which answers --version itself and runs the bundle from a V8 code cache.
// Subcommands stay lazy inside the bundle: src/cli/entry.ts import()s them, so a command evaluates
// only its own modules; the code cache makes the rest of the file cost next to nothing to load.
import { build } from "esbuild"
import { chmod, readFile, rm, writeFile } from "node:fs/promises"

/**
 * effect/cli's CliOutput builds an `Intl.Segmenter` when its module loads, and the first Intl object
 * costs ~20 ms (ICU starting up): every command paid it, though only help text measures widths. Here
 * it is built on first use. The build fails if effect changes that line, so the patch is never stale.
 */
const lazySegmenter = {
  name: "lazy-grapheme-segmenter",
  setup(b) {
    b.onLoad({ filter: /effect[\\/]dist[\\/]cli[\\/]CliOutput\.js$/ }, async (args) => {
      const eager =
        'const graphemeSegmenter = /*#__PURE__*/new Intl.Segmenter(undefined, {\n  granularity: "grapheme"\n});'
      const source = await readFile(args.path, "utf8")
      if (!source.includes(eager)) throw new Error(`${args.path}: the Intl.Segmenter line to make lazy is gone`)
      const lazy =
        "let graphemeSegmenterMade;\n" +
        "const graphemeSegmenter = { segment: (text) => (graphemeSegmenterMade ??= " +
        'new Intl.Segmenter(undefined, { granularity: "grapheme" })).segment(text) };'
      return { contents: source.replace(eager, lazy), loader: "js" }
    })
  }
}

await rm("dist", { recursive: true, force: true })
const result = await build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/taskq.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node22",
  // whitespace and syntax only: identifiers stay readable in stack traces
  minifyWhitespace: true,
  minifySyntax: true,
  // the map without the sources themselves: 14 MB less in the package, stack traces still mapped
  sourcemap: "linked",
  sourcesContent: false,
  metafile: process.env.TASKQ_BUILD_META === "1",
  // dockerode pulls optional native modules (ssh2, cpu-features): load it from node_modules at run time
  external: ["dockerode"],
  // src/pipeline/buildImage.ts finds docker/ from the bundle's own URL
  define: { "import.meta.url": "__taskqBundleUrl" },
  // strict, as the ES modules it is made of (the banner comes before esbuild's own "use strict")
  banner: { js: '"use strict";const __taskqBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [lazySegmenter],
  logLevel: "warning"
})
if (result.metafile) await writeFile("dist/meta.json", JSON.stringify(result.metafile))
// the launcher runs the bundle as a script: a real import() there would need Node's experimental loader
if ((await readFile("dist/taskq.cjs", "utf8")).includes("import(")) {
  throw new Error("dist/taskq.cjs has a dynamic import() of a module esbuild left out; import it from a module of ours")
}

// the launcher answers `taskq --version` without the bundle: the version in src/cli/entry.ts (what the
// CLI prints) must be package.json's
const { version } = JSON.parse(await readFile("package.json", "utf8"))
const cliVersion = (await readFile("src/cli/entry.ts", "utf8")).match(/export const VERSION = "([^"]+)"/)?.[1]
if (cliVersion !== version) throw new Error(`src/cli/entry.ts says VERSION ${cliVersion}, package.json ${version}`)
const launcher = (await readFile("scripts/launcher.mjs", "utf8")).replace("__TASKQ_VERSION__", version)
await writeFile("dist/taskq.mjs", launcher)
await chmod("dist/taskq.mjs", 0o755)
