#!/usr/bin/env node
// taskq's entry (package.json "bin", copied to dist/taskq.mjs by scripts/build.mjs, which fills in the
// two constants). It answers `--version` itself. Otherwise it runs the bundle, dist/taskq.cjs, from a
// V8 code cache taken at the end of a run, so later runs compile none of what ran before; Node's own
// compile cache keeps only what is compiled before a module runs, about half of what a command needs.
// The cache lives in the user's cache dir (0700, owned by them), one file per bundle and Node version;
// V8 refuses a cache made for other flags or another V8, and the bundle's hash in the name keeps an
// older bundle's cache from being offered at all. TASKQ_CODE_CACHE=0 turns it off.
import fs from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import vm from "node:vm"

const VERSION = "__TASKQ_VERSION__"
const BUNDLE_HASH = "__TASKQ_BUNDLE_HASH__"

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdirSync never returns on some file systems
 * (a HOME of /proc spins forever). Any error but "exists" ends it (the caller then does without).
 */
const makeDirs = (dir) => {
  const parent = path.dirname(dir)
  if (parent !== dir && !fs.existsSync(parent)) makeDirs(parent)
  try {
    fs.mkdirSync(dir, { mode: 0o700 })
  } catch (e) {
    if (e?.code !== "EEXIST") throw e
  }
}

/** `$XDG_CACHE_HOME/taskq/code-cache/<bundle>-<node>.bin`, when that dir is ours alone; else none. */
const cacheFile = () => {
  if (process.env.TASKQ_CODE_CACHE === "0") return undefined
  try {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache")
    const dir = path.join(base, "taskq", "code-cache")
    makeDirs(dir)
    // another user's dir, one others may write to, or a link could hand us bytecode: do without
    if (!ours(fs.lstatSync(dir)) || !fs.lstatSync(dir).isDirectory()) return undefined
    return path.join(dir, `${BUNDLE_HASH}-${process.version}-${process.arch}.bin`)
  } catch {
    return undefined
  }
}

/**
 * Writes the cache through a temporary file, so a concurrent run reads the old one or the new one, and
 * keeps the four newest caches of the dir (other bundles: earlier taskq versions, other checkouts).
 */
const saveCache = (file, data) => {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    fs.writeFileSync(tmp, data, { mode: 0o600 })
    fs.renameSync(tmp, file)
    const dir = path.dirname(file)
    const caches = fs
      .readdirSync(dir)
      // only the caches taskq names itself
      .filter((name) => /^[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+\.bin$/.test(name))
      .map((name) => ({ name, mtime: fs.statSync(path.join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime)
    for (const old of caches.slice(4)) fs.rmSync(path.join(dir, old.name), { force: true })
  } catch {
    fs.rmSync(tmp, { force: true })
  }
}

/** Owned by this user and writable by no one else. */
const ours = (st) => st.uid === process.getuid?.() && (st.mode & 0o022) === 0

/** The cache's bytes, if the file is a regular file of ours (checked on the open file itself). */
const readCache = (file) => {
  let fd
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
    const st = fs.fstatSync(fd)
    return st.isFile() && ours(st) ? fs.readFileSync(fd) : undefined
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

const args = process.argv.slice(2)
if (args.length === 1 && ["--version", "-v", "version"].includes(args[0])) {
  process.stdout.write(`taskq v${VERSION}\n`)
} else {
  const bundle = fileURLToPath(new URL("./taskq.cjs", import.meta.url))
  const file = cacheFile()
  const cachedData = file === undefined ? undefined : readCache(file)
  const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(bundle, "utf8")}\n})`
  const script = new vm.Script(source, { filename: bundle, cachedData })
  if (file !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", () => saveCache(file, script.createCachedData()))
  }
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle))
}
