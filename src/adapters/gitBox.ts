/**
 * The agent's private git dir (design (b) of README "Security model"): the container never sees
 * the repository's git dir. It gets `<attempt>/git`, a git dir of its own with the task branch,
 * an index and an objects dir whose alternates are the repository's objects (mounted read-only);
 * a read-only `.git` file over the worktree's points git there. taskq brings the task branch back
 * by fetching it through a view it writes itself (its own config, so nothing the agent wrote is
 * executed), with objects checked, and moves the ref only from where it left it.
 */
import { Effect, FileSystem } from "effect"
import type { BindMount } from "./Docker.js"
import { type GitRun, type RepoRef, refused as fail, stdoutOf as out } from "./gitCommand.js"
import { GitRefused } from "./gitErrors.js"
import { isObjectName, packedRef } from "./gitSafety.js"

/** The agent's private git dir of one attempt and what the container needs mounted for it. */
export interface GitBox {
  readonly gitDir: string
  readonly mounts: ReadonlyArray<BindMount>
}

interface BoxInput {
  readonly ref: RepoRef
  readonly admin: string
  /** git on the worktree, with the admin dir taskq created. */
  readonly run: GitRun
  readonly worktree: string
  readonly branch: string
  readonly boxDir: string
}

const dirname = (p: string) => p.slice(0, p.lastIndexOf("/"))

/** Writes a git dir of directories and files, every path created handed to the repository owner when taskq is root. */
const writeTree = Effect.fnUntraced(function* (
  ref: RepoRef,
  root: string,
  dirs: ReadonlyArray<string>,
  files: ReadonlyArray<readonly [string, string | Uint8Array]>
) {
  const fs = yield* FileSystem.FileSystem
  const created: Array<string> = []
  const mkdir = Effect.fnUntraced(function* (dir: string) {
    const missing: Array<string> = []
    for (let d = dir; d !== "" && !(yield* fs.exists(d)); d = dirname(d)) missing.unshift(d)
    for (const d of missing) {
      yield* fs.makeDirectory(d, { mode: 0o700 })
      created.push(d)
    }
  })
  yield* mkdir(root)
  for (const d of dirs) yield* mkdir(`${root}/${d}`)
  for (const [name, content] of files) {
    const path = `${root}/${name}`
    yield* mkdir(dirname(path))
    if (typeof content === "string") yield* fs.writeFileString(path, content, { mode: 0o600 })
    else yield* fs.writeFile(path, content, { mode: 0o600 })
    created.push(path)
  }
  const owner = ref.runAs
  if (owner) yield* Effect.forEach(created, (p) => fs.chown(p, owner.uid, owner.gid), { discard: true })
})

const config = (format: string) =>
  [
    "[core]",
    `\trepositoryformatversion = ${format === "sha1" ? 0 : 1}`,
    "\tfilemode = true",
    "\tbare = false",
    "\tlogallrefupdates = true",
    ...(format === "sha1" ? [] : ["[extensions]", `\tobjectformat = ${format}`]),
    ""
  ].join("\n")

/** The object dirs git in the box reads: the repository's, and its own alternates (each mounted read-only). */
const objectDirs = Effect.fnUntraced(function* (common: string) {
  const fs = yield* FileSystem.FileSystem
  const own = `${common}/objects`
  const text = yield* fs.readFileString(`${own}/info/alternates`).pipe(Effect.orElseSucceed(() => ""))
  const more = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => (l.startsWith("/") ? l : `${own}/${l}`))
  return [own, ...more]
})

export const prepareBox = Effect.fnUntraced(function* (input: BoxInput) {
  const fs = yield* FileSystem.FileSystem
  const { ref, run, branch, boxDir } = input
  const gitDir = `${boxDir}/git`
  const io = (e: { readonly message: string }) => fail(`cannot create the agent's git dir: ${e.message}`)
  const tip = out(yield* run(["rev-parse", "--verify", `refs/heads/${branch}^{commit}`]))
  const format = out(yield* run(["rev-parse", "--show-object-format"]))
  const objects = yield* objectDirs(ref.common)
  const index = yield* fs.readFile(`${input.admin}/index`).pipe(Effect.option)
  const shallow = yield* fs.readFile(`${ref.common}/shallow`).pipe(Effect.option)
  yield* fs.remove(gitDir, { recursive: true, force: true }).pipe(Effect.mapError(io))
  yield* writeTree(
    ref,
    gitDir,
    ["refs/tags", "objects/pack", "objects/info"],
    [
      ["HEAD", `ref: refs/heads/${branch}\n`],
      ["config", config(format)],
      [`refs/heads/${branch}`, `${tip}\n`],
      ["objects/info/alternates", `${ref.common}/objects\n`],
      ...(index._tag === "Some" ? [["index", index.value] as const] : []),
      ...(shallow._tag === "Some" ? [["shallow", shallow.value] as const] : [])
    ]
  ).pipe(Effect.mapError(io))
  // outside the mounted git dir, so the agent cannot change them
  yield* writeTree(
    ref,
    boxDir,
    [],
    [
      ["gitfile", `gitdir: ${gitDir}\n`],
      ["git-start", `${tip}\n`]
    ]
  ).pipe(Effect.mapError(io))
  return {
    gitDir,
    mounts: [
      { host: gitDir, container: gitDir },
      { host: `${boxDir}/gitfile`, container: `${input.worktree}/.git`, readOnly: true },
      ...objects.map((d) => ({ host: d, container: d, readOnly: true }))
    ]
  } satisfies GitBox
})

/** Refuses a box whose objects dir holds anything but plain files and folders (a FIFO would hang git). */
const checkObjects = Effect.fnUntraced(function* (root: string) {
  const fs = yield* FileSystem.FileSystem
  const queue: Array<readonly [string, number]> = [[root, 2]]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [dir, depth] = next
    for (const name of yield* fs.readDirectory(dir)) {
      const path = `${dir}/${name}`
      if ((yield* fs.readLink(path).pipe(Effect.option))._tag === "Some") return yield* fail(`${path} is a symlink`)
      const info = yield* fs.stat(path)
      if (info.type === "Directory" && depth > 0) queue.push([path, depth - 1])
      else if (info.type !== "File") return yield* fail(`${path} is not a regular file`)
    }
  }
})

/** The agent's tip of the task branch, read as data (loose ref, else packed-refs); undefined when it deleted it. */
const agentTip = Effect.fnUntraced(function* (gitDir: string, branch: string) {
  const fs = yield* FileSystem.FileSystem
  const plain = Effect.fnUntraced(function* (path: string, max: number) {
    if (!(yield* fs.exists(path))) return undefined
    const link = yield* fs.readLink(path).pipe(Effect.option)
    const info = yield* fs.stat(path)
    if (link._tag === "Some" || info.type !== "File" || Number(info.size) > max)
      return yield* fail(`${path} is not a plain ref file`)
    return yield* fs.readFileString(path)
  })
  const loose = yield* plain(`${gitDir}/refs/heads/${branch}`, 200)
  if (loose !== undefined) {
    const sha = loose.trim()
    if (!isObjectName(sha)) return yield* fail(`${gitDir}/refs/heads/${branch} does not hold an object name`)
    return sha
  }
  const packed = yield* plain(`${gitDir}/packed-refs`, 64 * 1024 * 1024)
  return packed === undefined ? undefined : packedRef(packed, `refs/heads/${branch}`)
})

/** `<sha>\t<path>` of each gitlink (mode 160000) in `ls-tree -r -z` output. */
const gitlinkEntries = (raw: string): ReadonlyArray<string> =>
  raw
    .split("\0")
    .filter((entry) => entry.startsWith("160000 "))
    .map((entry) => entry.slice("160000 commit ".length))

export const importBox = Effect.fnUntraced(function* (input: BoxInput & { readonly repoRun: GitRun }) {
  const fs = yield* FileSystem.FileSystem
  const { ref, repoRun, branch, boxDir } = input
  const gitDir = `${boxDir}/git`
  const io = (e: { readonly message: string }) => fail(e.message)
  if (!(yield* fs.exists(gitDir).pipe(Effect.mapError(io)))) return undefined
  const start = (yield* fs.readFileString(`${boxDir}/git-start`).pipe(Effect.mapError(io))).trim()
  const alternates = yield* fs.readFileString(`${gitDir}/objects/info/alternates`).pipe(Effect.orElseSucceed(() => ""))
  if (alternates !== `${ref.common}/objects\n`)
    return yield* fail(`${gitDir}/objects/info/alternates was changed; not importing from it`)
  yield* checkObjects(`${gitDir}/objects`).pipe(Effect.mapError((e) => (e instanceof GitRefused ? e : io(e))))
  const tip = yield* agentTip(gitDir, branch).pipe(Effect.mapError((e) => (e instanceof GitRefused ? e : io(e))))
  if (tip === undefined) return undefined
  const ancestor = (a: string, b: string) =>
    repoRun(["merge-base", "--is-ancestor", a, b], { okExitCodes: [0, 1] }).pipe(Effect.map((r) => r.exitCode === 0))
  const current = out(yield* repoRun(["rev-parse", "--verify", `refs/heads/${branch}`]))
  if (tip === current) return undefined

  // the objects: fetched through a view taskq writes (its config, its ref), checked by fsck on the way in
  const view = `${boxDir}/import`
  yield* fs.remove(view, { recursive: true, force: true }).pipe(Effect.mapError(io))
  yield* writeTree(
    ref,
    view,
    ["refs/tags", "objects/pack"],
    [
      ["HEAD", `ref: refs/heads/${branch}\n`],
      [
        "config",
        config(out(yield* repoRun(["rev-parse", "--show-object-format"]))).replace("bare = false", "bare = true")
      ],
      [`refs/heads/${branch}`, `${tip}\n`],
      ["objects/info/alternates", `${gitDir}/objects\n`]
    ]
  ).pipe(Effect.mapError(io))
  yield* repoRun([
    "-c",
    "transfer.fsckObjects=true",
    "-c",
    "protocol.file.allow=always",
    "fetch",
    "--quiet",
    "--no-tags",
    "--no-write-fetch-head",
    "--no-auto-gc",
    "--no-recurse-submodules",
    view,
    `refs/heads/${branch}`
  ]).pipe(Effect.ensuring(fs.remove(view, { recursive: true, force: true }).pipe(Effect.ignore)))

  if (yield* ancestor(tip, current)) return undefined
  // a gitlink is a nested repository: host git (and yours, in the worktree) would enter it and run
  // its config. The agent's branch may keep the ones its base had, never add or repoint one
  const links = (commit: string) =>
    repoRun(["ls-tree", "-r", "-z", "--full-tree", commit]).pipe(Effect.map((r) => new Set(gitlinkEntries(r.stdout))))
  const before = yield* links(start)
  const added = [...(yield* links(tip))].filter((entry) => !before.has(entry))
  if (added.length > 0)
    return yield* fail(
      `the agent's branch adds a nested repository (gitlink) at ` +
        `${added.map((e) => e.split("\t")[1]).join(", ")}; not importing it. The agent's commits stay in ${gitDir}`
    )
  if (current !== start && !(yield* ancestor(current, tip)))
    return yield* fail(
      `${branch} moved both in the repository (${current.slice(0, 12)}) and in the agent's git dir ` +
        `(${tip.slice(0, 12)}); not moving it. The agent's commits stay in ${gitDir}`
    )
  yield* repoRun(["update-ref", "-m", "taskq: the agent's commits", `refs/heads/${branch}`, tip, current])
  yield* fs.writeFileString(`${boxDir}/git-start`, `${tip}\n`).pipe(Effect.mapError(io))
  // the worktree's index follows its branch, its files stay as the agent left them
  const head = yield* input.run(["symbolic-ref", "-q", "HEAD"], { okExitCodes: [0, 1] })
  if (out(head) === `refs/heads/${branch}`) yield* input.run(["reset", "-q"], { okExitCodes: [0, 1] })
  return tip
})
