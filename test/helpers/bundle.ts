// Bundles a TypeScript helper into a temp .mjs that plain `node` can run as a child process.
import { build } from "esbuild"
import { join } from "node:path"
import { tempDir } from "./fixtures.js"

export const bundleScript = async (entry: string): Promise<string> => {
  const outfile = join(tempDir("taskq-bundle-"), "script.mjs")
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    logLevel: "warning",
    external: ["dockerode"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }
  })
  return outfile
}
