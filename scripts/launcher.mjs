#!/usr/bin/env node
// taskq's entry (package.json "bin", copied to dist/taskq.mjs by scripts/build.mjs, which fills in the
// version). It answers `--version` itself. Otherwise it runs the bundle, dist/taskq.cjs, from a
// V8 code cache taken at the end of a run, so later runs compile none of what ran before; Node's own
// compile cache keeps only what is compiled before a module runs, about half of what a command needs.
// The cache lives in the user's cache dir (absolute; 0700, theirs, with no dir above it that others
// could write to), one file per bundle and Node version. V8 refuses a cache made for other flags or
// another V8 but checks only the source's length, so the sha256 of the bundle bytes about to run names
// the file. TASKQ_CODE_CACHE=0 turns it off.
import { createHash } from "node:crypto"
import fs from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import vm from "node:vm"

const VERSION = "__TASKQ_VERSION__"

/** `$XDG_CACHE_HOME/taskq/code-cache/<bundle>-<node>.bin`, when that dir is ours alone; else none. */
const cacheFile = (bundleHash) => {
  if (process.env.TASKQ_CODE_CACHE === "0") return undefined
  try {
    // a relative XDG_CACHE_HOME or HOME (empty included) would put the cache in the cwd: a cloned repo could hold one
    const xdg = process.env.XDG_CACHE_HOME
    const home = process.env.HOME && path.isAbsolute(process.env.HOME) ? process.env.HOME : os.userInfo().homedir
    const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, ".cache")
    if (!path.isAbsolute(base)) return undefined
    // one level at a time (a recursive mkdir loops forever where mkdir says ENOENT, as in /proc)
    let dir = path.parse(base).root
    for (const name of [...path.relative(dir, base).split(path.sep).filter(Boolean), "taskq", "code-cache"]) {
      dir = path.join(fs.realpathSync(dir), name)
      try {
        fs.mkdirSync(dir, { mode: 0o700 })
      } catch (e) {
        if (e.code !== "EEXIST") throw e
      }
    }
    return trusted(dir) ? path.join(dir, `${bundleHash}-${process.version}-${process.arch}.bin`) : undefined
  } catch {
    return undefined
  }
}

/**
 * The dir, and every dir above it, is a real dir of ours or root's that no one else may write to, so
 * no one else can swap it (or one above it) between this check and the read or write: a sticky dir
 * such as /tmp is fine above one of ours, whose entries no one else can rename.
 */
const trusted = (dir) => {
  const leaf = fs.lstatSync(dir)
  if (!leaf.isDirectory() || !ours(leaf)) return false
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = fs.lstatSync(d)
    if (!st.isDirectory() || (st.uid !== process.getuid() && st.uid !== 0)) return false
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return false
    if (d === path.dirname(d)) return true
  }
}

/**
 * Writes the cache through a temporary file, so a concurrent run reads the old one or the new one, and
 * keeps the four newest caches of the dir (other bundles: earlier taskq versions, other checkouts).
 */
const saveCache = (file, data) => {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    // a new file, never through a link: whatever is at that name already is not ours to write
    const fd = fs.openSync(
      tmp,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      0o600
    )
    try {
      fs.writeFileSync(fd, data)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
    const dir = path.dirname(file)
    const caches = fs
      .readdirSync(dir)
      // only the caches taskq names itself
      .filter((name) => /^[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+\.bin$/.test(name))
      .map((name) => ({ name, mtime: fs.statSync(path.join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime)
    for (const old of caches.slice(4)) fs.rmSync(path.join(dir, old.name), { force: true })
    // a save cut short by a kill leaves its temporary file: gone after a minute
    for (const name of fs.readdirSync(dir)) {
      const stale = /^[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+\.bin\.\d+\.tmp$/.test(name)
      if (stale && Date.now() - fs.statSync(path.join(dir, name)).mtimeMs > 60_000) {
        fs.rmSync(path.join(dir, name), { force: true })
      }
    }
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
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
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
  // `taskq --version | true`: a closed pipe is no error, as for the CLI itself
  process.stdout.on("error", (e) => {
    if (e.code !== "EPIPE") process.exitCode = 1
  })
  process.stdout.write(`taskq v${VERSION}\n`)
} else {
  const bundle = fileURLToPath(new URL("./taskq.cjs", import.meta.url))
  const bytes = fs.readFileSync(bundle)
  // the bytes that run name the cache: V8 checks only the source's length, so a bundle edited since the
  // build (same length) would otherwise run the old bytecode
  const file = cacheFile(createHash("sha256").update(bytes).digest("hex").slice(0, 16))
  const cachedData = file === undefined ? undefined : readCache(file)
  const source = `(function (exports, require, module, __filename, __dirname) {${bytes.toString("utf8")}\n})`
  const script = new vm.Script(source, { filename: bundle, cachedData })
  if (file !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", () => saveCache(file, script.createCachedData()))
  }
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle))
}
