// Host-side git against hostile worktrees, for real: a .git file repointed at a malicious git dir,
// nested repositories and attributes asking for drivers, the agent's private git dir turned hostile.
// Every script the agent could plant leaves a mark in `marks`; none may appear.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { join } from "node:path"
import { Git } from "../../src/adapters/Git.js"
import { nestedRepos } from "../../src/adapters/gitOutput.js"
import { gitFileTarget, packedRef, safeDirectories } from "../../src/adapters/gitSafety.js"
import { git, makeRepo, tempDir } from "../helpers/fixtures.js"

/** The test's own git calls that stand for the agent's (in its container, where its hooks may run). */
const quiet = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"]

/** Scripts in `dir` that leave a mark in `marks` when run, and a git dir configured to run them. */
const plant = (dir: string, marks: string) => {
  mkdirSync(join(dir, "hooks"), { recursive: true })
  const script = (name: string) => {
    const path = join(dir, `${name}.sh`)
    writeFileSync(path, `#!/bin/sh\ntouch ${marks}/${name}\n`)
    chmodSync(path, 0o755)
    return path
  }
  for (const h of ["pre-commit", "post-commit", "post-index-change", "reference-transaction", "post-checkout"])
    writeFileSync(join(dir, "hooks", h), `#!/bin/sh\ntouch ${marks}/hook-${h}\n`, { mode: 0o755 })
  return { fsmonitor: script("fsmonitor"), filter: script("filter"), hooks: join(dir, "hooks") }
}

layer(Git.layer.pipe(Layer.provideMerge(NodeServices.layer)), { excludeTestServices: true })(
  "host git against a hostile worktree",
  (it) => {
    it.effect("a .git file repointed at a malicious git dir is refused, and nothing of it runs", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        const marks = tempDir()
        const wt = join(tempDir(), "wt")
        yield* g.addWorktree(repo, wt, "t", "main")
        const evil = join(wt, ".evilgit")
        execFileSync("cp", ["-r", git(wt, "rev-parse", "--absolute-git-dir"), evil])
        const s = plant(join(wt, ".evil"), marks)
        git(wt, "config", "-f", join(evil, "config"), "core.fsmonitor", s.fsmonitor)
        git(wt, "config", "-f", join(evil, "config"), "core.hooksPath", s.hooks)
        writeFileSync(join(wt, ".git"), `gitdir: ${evil}\n`)
        writeFileSync(join(wt, "work.txt"), "work\n")
        const e = yield* g.snapshot(repo, wt, "save").pipe(Effect.flip)
        assert.include(e.message, "was tampered with")
        assert.include((yield* g.removeWorktree(repo, wt).pipe(Effect.flip)).message, "was tampered with")
        assert.deepStrictEqual(readdirSync(marks), [])
      })
    )

    it.effect("snapshot with nested repositories, their filters, hostile attributes and fsmonitor runs nothing", () =>
      Effect.gen(function* () {
        const g = yield* Git
        const repo = makeRepo()
        const marks = tempDir()
        const wt = join(tempDir(), "wt")
        yield* g.addWorktree(repo, wt, "t", "main")
        const s = plant(join(wt, ".evil"), marks)
        for (const name of ["nested", "empty", "committed"]) {
          git(wt, "init", "-q", name)
          git(join(wt, name), "config", "core.fsmonitor", s.fsmonitor)
          git(join(wt, name), "config", "core.hooksPath", s.hooks)
          writeFileSync(join(wt, name, "inside.txt"), "x\n")
        }
        git(join(wt, "nested"), ...quiet, "commit", "-q", "--allow-empty", "-m", "n")
        // a nested repository the agent committed as a gitlink (as its own commits may bring one):
        // git on the host enters it for status, with the host's command-line config
        git(join(wt, "committed"), ...quiet, "commit", "-q", "--allow-empty", "-m", "c")
        git(wt, ...quiet, "add", "committed")
        git(wt, ...quiet, "commit", "-q", "-m", "gitlink")
        writeFileSync(join(wt, "committed", "inside.txt"), "changed\n")
        // the nested repository's own config and attributes ask for a clean filter: git entering it
        // to see whether it changed would run it (it did, in `status` and `add -A`)
        git(join(wt, "committed"), ...quiet, "add", "inside.txt")
        git(join(wt, "committed"), "config", "filter.x.clean", `${s.filter}; cat`)
        writeFileSync(join(wt, "committed", ".gitattributes"), "* filter=x\n")
        // same size, other mtime: git must read the file, through the filter, to know whether it changed
        utimesSync(join(wt, "committed", "inside.txt"), new Date(2001, 0, 1), new Date(2001, 0, 1))
        writeFileSync(join(wt, ".gitattributes"), "* filter=evil diff=evil\n")
        writeFileSync(join(wt, "work.txt"), "work\n")
        const sha = yield* g.snapshot(repo, wt, "save")
        assert.isString(sha)
        const files = git(repo, "ls-tree", "-r", "--name-only", "t").split("\n")
        assert.includeMembers(files, ["work.txt", ".gitattributes", "committed"])
        assert.notInclude(files, "nested")
        assert.notInclude(files, "empty")
        assert.deepStrictEqual(readdirSync(marks), [])
      })
    )

    it.effect(
      "the agent's git dir: its commits come back, its config never runs, the ref moves only from where taskq left it",
      () =>
        Effect.gen(function* () {
          const g = yield* Git
          const repo = makeRepo()
          const marks = tempDir()
          const dir = tempDir()
          const wt = join(dir, "wt")
          const box = join(dir, "attempt-1")
          mkdirSync(box)
          yield* g.addWorktree(repo, wt, "t", "main")
          const prepared = yield* g.prepareBox(repo, wt, "t", box)
          assert.notInclude(
            prepared.mounts.map((m) => m.host),
            join(repo, ".git"),
            "the repository's git dir is never mounted"
          )
          // the agent, with the box as its git dir (what the container sees through the .git mount)
          const agent = (...args: Array<string>) =>
            git(wt, ...quiet, `--git-dir=${prepared.gitDir}`, `--work-tree=${wt}`, ...args)
          writeFileSync(join(wt, "a.txt"), "agent\n")
          agent("add", "a.txt")
          agent("commit", "-q", "-m", "agent work")
          const tip = agent("rev-parse", "HEAD")
          const s = plant(join(dir, "evil"), marks)
          agent("config", "core.fsmonitor", s.fsmonitor)
          agent("config", "core.hooksPath", s.hooks)
          agent("config", "uploadpack.packObjectsHook", s.filter)
          assert.strictEqual(yield* g.importBox(repo, wt, "t", box), tip)
          assert.strictEqual(git(repo, "rev-parse", "t"), tip)
          assert.strictEqual(git(wt, "status", "--porcelain"), "")
          assert.isUndefined(yield* g.importBox(repo, wt, "t", box), "a second import has nothing to do")
          // the branch moved on the host and the agent rewrote its own: refused, nothing lost
          writeFileSync(join(wt, "host.txt"), "host\n")
          git(wt, "add", "host.txt")
          git(wt, "commit", "-q", "-m", "host work")
          agent("reset", "-q", "--soft", "HEAD~1")
          agent("commit", "-q", "-m", "rewritten")
          const e = yield* g.importBox(repo, wt, "t", box).pipe(Effect.flip)
          assert.include(e.message, "moved both")
          assert.strictEqual(git(repo, "log", "-1", "--format=%s", "t"), "host work")
          // a nested repository committed as a gitlink on the agent's branch is refused at import: host git
          // (and the user's) would enter it and run its config
          agent("reset", "-q", "--hard", git(repo, "rev-parse", "t"))
          git(wt, "init", "-q", "sub")
          git(join(wt, "sub"), ...quiet, "commit", "-q", "--allow-empty", "-m", "s")
          git(join(wt, "sub"), "config", "filter.x.clean", `${s.filter}; cat`)
          agent("add", "sub")
          agent("commit", "-q", "-m", "a gitlink")
          const link = yield* g.importBox(repo, wt, "t", box).pipe(Effect.flip)
          assert.include(link.message, "adds a nested repository (gitlink) at sub")
          assert.strictEqual(git(repo, "log", "-1", "--format=%s", "t"), "host work")
          // a tampered alternates file is refused
          writeFileSync(join(prepared.gitDir, "objects/info/alternates"), "/etc\n")
          assert.include((yield* g.importBox(repo, wt, "t", box).pipe(Effect.flip)).message, "alternates was changed")
          assert.deepStrictEqual(readdirSync(marks), [])
          assert.strictEqual(readFileSync(join(box, "gitfile"), "utf8"), `gitdir: ${prepared.gitDir}\n`)
        })
    )
  }
)

const isRoot = process.getuid?.() === 0
const TEST_USER = "taskq-e2e"
/** A normal user's uid:gid (created when missing: the tests run as root in CI). */
const normalUser = () => {
  try {
    execFileSync("id", ["-u", TEST_USER], { stdio: "ignore" })
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER])
  }
  const id = (flag: string) => Number(execFileSync("id", [flag, TEST_USER], { encoding: "utf8" }).trim())
  return { uid: id("-u"), gid: id("-g") }
}

layer(Git.layer.pipe(Layer.provideMerge(NodeServices.layer)), { excludeTestServices: true })(
  "host git as root on a normal user's repository",
  (it) => {
    it.effect.runIf(isRoot)(
      "everything it writes in their repository and worktree is theirs; their git works there",
      () =>
        Effect.gen(function* () {
          const g = yield* Git
          const owner = normalUser()
          const home = tempDir()
          chmodSync(home, 0o755)
          const repo = makeRepo(join(home, "repo"))
          execFileSync("chown", ["-R", `${owner.uid}:${owner.gid}`, repo])
          const queue = tempDir()
          chmodSync(queue, 0o755)
          const wt = join(queue, "worktrees", "t")
          const box = join(queue, "attempt-1")
          mkdirSync(box)
          yield* g.addWorktree(repo, wt, "t", "main")
          assert.strictEqual(statSync(wt).uid, owner.uid)
          const prepared = yield* g.prepareBox(repo, wt, "t", box)
          assert.strictEqual(statSync(prepared.gitDir).uid, owner.uid)
          const asOwner = (...args: Array<string>) =>
            execFileSync("setpriv", [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, "--clear-groups", "--", ...args], {
              encoding: "utf8",
              cwd: "/",
              env: {
                ...process.env,
                HOME: home,
                GIT_AUTHOR_NAME: "a",
                GIT_AUTHOR_EMAIL: "a@a",
                GIT_COMMITTER_NAME: "a",
                GIT_COMMITTER_EMAIL: "a@a"
              }
            })
          // the agent (as the owner, in its git dir) commits; the owner edits in the worktree
          asOwner("sh", "-c", `echo agent > ${wt}/a.txt`)
          asOwner("git", `--git-dir=${prepared.gitDir}`, `--work-tree=${wt}`, "add", "a.txt")
          asOwner("git", `--git-dir=${prepared.gitDir}`, `--work-tree=${wt}`, "commit", "-q", "-m", "agent")
          assert.isString(yield* g.importBox(repo, wt, "t", box))
          asOwner("git", "-C", wt, "status", "--porcelain")
          asOwner("sh", "-c", `echo owner > ${wt}/o.txt`)
          assert.isString(yield* g.snapshot(repo, wt, "save"))
          yield* g.removeWorktree(repo, wt)
          assert.isFalse(existsSync(wt))
          assert.strictEqual(git(repo, "show", "t:o.txt"), "owner")
          const foreign = execFileSync("find", [join(repo, ".git"), "!", "-uid", String(owner.uid)], {
            encoding: "utf8"
          })
          assert.strictEqual(foreign.trim(), "", "nothing in their .git belongs to anyone else")
        })
    )
  }
)

layer(Layer.empty)((it) => {
  it.effect("parsers: .git files, packed-refs, gitlinks, safe.directory entries", () =>
    Effect.sync(() => {
      assert.strictEqual(gitFileTarget("gitdir: /r/.git/worktrees/w\n", "/w"), "/r/.git/worktrees/w")
      assert.strictEqual(gitFileTarget("gitdir: ../r/.git/worktrees/w\n", "/q/w"), "/q/w/../r/.git/worktrees/w")
      assert.isUndefined(gitFileTarget("gitdir: /a\ngitdir: /b\n", "/w"))
      const sha = "a".repeat(40)
      assert.strictEqual(packedRef(`# pack-refs\n${sha} refs/heads/t\n^${"b".repeat(40)}\n`, "refs/heads/t"), sha)
      assert.isUndefined(packedRef(`${sha} refs/heads/other\n`, "refs/heads/t"))
      assert.deepStrictEqual(nestedRepos(`:000000 160000 ${"0".repeat(40)} ${sha} A\0sub\0:000000 100644 x y A\0f\0`), [
        "sub"
      ])
      assert.deepStrictEqual(safeDirectories("/a/b"), [
        "-c",
        "safe.directory=/",
        "-c",
        "safe.directory=/a",
        "-c",
        "safe.directory=/a/b"
      ])
    })
  )
})
