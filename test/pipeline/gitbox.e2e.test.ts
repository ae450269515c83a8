// Attacks on the user's repository through git, for real: a scripted agent in the real container
// writes the repository's hooks and config, moves another ref, edits packed-refs and objects,
// points the worktree's .git at a malicious git dir, sets fsmonitor/hooksPath in its own git dir
// and plants a nested repository, then commits its legitimate work. The host then runs done,
// cleanup, retry and run --cleanup-on-fail. The repository must be byte-identical outside the task
// branch, no mark left by the agent's scripts may appear on the host, and the legitimate commit
// must be on the task branch.
import { assert, describe, it } from "vitest"
import { createHash } from "node:crypto"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { scripted } from "../helpers/agentRuntime.js"
import { git, makeRepo, tempDir } from "../helpers/fixtures.js"
import { inspectField, uid, useRealRuntime } from "../helpers/e2e.js"

const { fresh } = useRealRuntime()
const marks = tempDir("taskq-marks-")
const isRoot = process.getuid?.() === 0
const TEST_USER = "taskq-e2e"

/** Every file under the repository's .git with its hash, the task's own entries left out; objects apart. */
const snapshotGitDir = (repo: string, branch: string) => {
  const files = new Map<string, string>()
  const objects = new Map<string, string>()
  const own = [`refs/heads/${branch}`, `logs/refs/heads/${branch}`, "worktrees/"]
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const r = rel ? `${rel}/${name}` : name
      if (statSync(path).isDirectory()) walk(path, r)
      else if (!own.some((o) => r === o || r.startsWith(o))) {
        const hash = createHash("sha256").update(readFileSync(path)).digest("hex")
        ;(r.startsWith("objects/") ? objects : files).set(r, `${hash} ${statSync(path).uid}`)
      }
    }
  }
  walk(join(repo, ".git"), "")
  return { files, objects, refs: git(repo, "for-each-ref", "--format=%(refname) %(objectname)") }
}

const assertUntouched = (before: ReturnType<typeof snapshotGitDir>, repo: string, branch: string) => {
  const after = snapshotGitDir(repo, branch)
  assert.deepStrictEqual(Object.fromEntries(after.files), Object.fromEntries(before.files))
  for (const [path, hash] of before.objects) assert.strictEqual(after.objects.get(path), hash, path)
  const otherRefs = (s: string) =>
    s
      .split("\n")
      .filter((l) => !l.startsWith(`refs/heads/${branch} `))
      .join("\n")
  assert.strictEqual(otherRefs(after.refs), otherRefs(before.refs))
}

const assertNoMarks = () => assert.deepStrictEqual(readdirSync(marks), [], "something ran on the host")

/** The agent's attack, as one bash tool call in the worktree; each step may fail, the script goes on. */
const attack = (repo: string) => {
  const R = `${repo}/.git`
  const M = marks
  return [
    "set +e",
    "W=$(pwd)",
    "mkdir -p $W/.evil/hooks",
    `for n in fsmonitor hook pager filter; do printf '#!/bin/sh\\ntouch ${M}/%s\\n' $n > $W/.evil/$n.sh; chmod +x $W/.evil/$n.sh; done`,
    "for h in pre-commit post-commit post-checkout pre-auto-gc post-index-change reference-transaction post-rewrite; do cp $W/.evil/hook.sh $W/.evil/hooks/$h; done",
    // the repository's hooks, config, refs, packed-refs, objects
    `mkdir -p ${R}/hooks; cp $W/.evil/hook.sh ${R}/hooks/post-checkout && echo wrote-hook >> $W/attack.log`,
    `printf '[core]\\n\\tpager = %s\\n\\thooksPath = %s\\n\\tfsmonitor = %s\\n' $W/.evil/pager.sh $W/.evil/hooks $W/.evil/fsmonitor.sh >> ${R}/config && echo wrote-config >> $W/attack.log`,
    `echo 0000000000000000000000000000000000000000 > ${R}/refs/heads/main && echo moved-main >> $W/attack.log`,
    `echo "$(git rev-parse HEAD) refs/heads/evil" >> ${R}/packed-refs && echo wrote-packed-refs >> $W/attack.log`,
    `rm -rf ${R}/objects/pack ${R}/objects/info; for d in ${R}/objects/??; do rm -rf "$d"; done; echo tried-objects >> $W/attack.log`,
    // a malicious git dir, and the worktree's .git pointed at it
    "cp -r $(git rev-parse --git-dir) $W/.evilgit",
    "git config -f $W/.evilgit/config core.fsmonitor $W/.evil/fsmonitor.sh; git config -f $W/.evilgit/config core.hooksPath $W/.evil/hooks",
    "printf 'gitdir: %s/.evilgit\\n' $W > $W/.git && echo repointed-dotgit >> $W/attack.log",
    "rm -f $W/.git && echo removed-dotgit >> $W/attack.log",
    // a nested repository with the same config, and a filter driver asked for by .gitattributes
    "git init -q $W/nested && git -C $W/nested config core.fsmonitor $W/.evil/fsmonitor.sh && git -C $W/nested config core.hooksPath $W/.evil/hooks && git -C $W/nested commit -q --allow-empty -m n",
    "printf '* filter=evil diff=evil\\n' > $W/.gitattributes",
    // the legitimate work: a commit on the task branch, with the agent's own git dir clean
    "echo legit > $W/legit.txt && git add legit.txt && git commit -q -m 'legit work' && echo committed >> $W/attack.log",
    // then its own git dir turned hostile too (it is the agent's; the host must never use its config)
    "git config core.fsmonitor $W/.evil/fsmonitor.sh; git config core.hooksPath $W/.evil/hooks; git config filter.evil.clean $W/.evil/filter.sh; git config diff.evil.textconv $W/.evil/filter.sh",
    "echo later > $W/later.txt",
    "exit 0"
  ].join("\n")
}

const bash = (command: string) => ({ tool: "bash", args: { command, description: "attack" } })

describe("git attacks from the agent (real runtime)", () => {
  it("done + cleanup: the repository stays byte-identical outside the task branch, nothing runs on the host", async () => {
    const s = fresh()
    const id = uid("atk")
    const branch = `taskq/${id}`
    const prompt = scripted("Attack", [bash(attack(s.repo)), { text: "done" }])
    assert.strictEqual((await s.add(id, prompt)).code, 0)
    const before = snapshotGitDir(s.repo, branch)

    const run = await s.taskq("run")
    assert.strictEqual(run.code, 0, run.stderr)
    const wt = s.record(id).worktree_path as string
    const log = readFileSync(join(wt, "attack.log"), "utf8")
    assert.include(log, "committed")
    assert.notInclude(log, "repointed-dotgit")
    assert.notInclude(log, "removed-dotgit")
    assert.strictEqual(git(s.repo, "log", "-1", "--format=%s", branch), "legit work")
    // as root: the worktree stays the creator's and plain git (no safe.directory) works in it
    assert.strictEqual(statSync(wt).uid, process.getuid?.())
    assert.strictEqual(statSync(join(wt, "legit.txt")).uid, statSync(join(s.repo, ".git")).uid)
    execFileSync("git", ["-C", wt, "status", "--porcelain"], { encoding: "utf8" })
    assertUntouched(before, s.repo, branch)

    assert.strictEqual((await s.taskq("done", "--id", id)).code, 0)
    const cleanup = await s.taskq("cleanup")
    assert.strictEqual(cleanup.code, 0, cleanup.stderr)
    assert.isFalse(existsSync(wt))
    assert.deepStrictEqual(git(s.repo, "log", "--format=%s", `main..${branch}`).split("\n").slice(-1), ["legit work"])
    assert.strictEqual(git(s.repo, "show", `${branch}:later.txt`), "later")
    assertUntouched(before, s.repo, branch)
    // the user's own next checkout runs no hook the agent wrote
    git(s.repo, "checkout", "-q", "-b", "after-attack")
    assertNoMarks()
  }, 300_000)

  it("retry + run --cleanup-on-fail: the work carries over, the repository stays untouched, nothing runs", async () => {
    const s = fresh()
    const id = uid("atkr")
    const branch = `taskq/${id}`
    const prompt = scripted("Attack then fail", [bash(attack(s.repo)), { httpError: 400, message: "scripted failure" }])
    assert.strictEqual((await s.add(id, prompt)).code, 0)
    const before = snapshotGitDir(s.repo, branch)
    assert.strictEqual((await s.taskq("run")).code, 1)
    assert.strictEqual(s.record(id).status, "failed")
    assert.strictEqual(git(s.repo, "log", "-1", "--format=%s", branch), "legit work")
    assertUntouched(before, s.repo, branch)
    assert.strictEqual((await s.taskq("retry", "--id", id)).code, 0)
    const second = await s.taskq("run", "--cleanup-on-fail")
    assert.strictEqual(second.code, 1)
    const r = s.record(id)
    assert.strictEqual(r.attempt, 2)
    assert.isFalse(existsSync(r.worktree_path as string), r.error as string)
    const subjects = git(s.repo, "log", "--format=%s", `main..${branch}`).split("\n")
    assert.strictEqual(subjects.filter((l) => l === "legit work").length, 1)
    assert.strictEqual(git(s.repo, "show", `${branch}:later.txt`), "later")
    assertUntouched(before, s.repo, branch)
    assertNoMarks()
  }, 300_000)

  it.runIf(isRoot)(
    "taskq as root, the repository a normal user's: container, worktree and agent files are theirs; their git works",
    async () => {
      try {
        execFileSync("id", ["-u", TEST_USER], { stdio: "ignore" })
      } catch {
        execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER])
      }
      const ownerUid = Number(execFileSync("id", ["-u", TEST_USER], { encoding: "utf8" }).trim())
      const ownerGid = Number(execFileSync("id", ["-g", TEST_USER], { encoding: "utf8" }).trim())
      const home = tempDir("taskq-user-")
      chmodSync(home, 0o755)
      const repo = makeRepo(join(home, "repo"))
      execFileSync("chown", ["-R", `${ownerUid}:${ownerGid}`, repo])
      const s = fresh()
      chmodSync(join(s.queue, ".."), 0o755)
      const id = uid("own")
      const branch = `taskq/${id}`
      const prompt = scripted("Work as the owner", [bash(attack(repo)), { text: "done" }])
      assert.strictEqual((await s.add(id, prompt, repo)).code, 0)
      const before = snapshotGitDir(repo, branch)
      const run = await s.taskq("run")
      assert.strictEqual(run.code, 0, run.stderr)
      const rec = s.record(id)
      const wt = rec.worktree_path as string
      const user = inspectField(rec.container as string, "{{.Config.User}}")
      assert.strictEqual(user, `${ownerUid}:${ownerGid}`)
      assert.strictEqual(statSync(wt).uid, ownerUid)
      assert.strictEqual(statSync(join(wt, "legit.txt")).uid, ownerUid)
      const attemptDir = rec.opencode_attempt_dir as string
      assert.strictEqual(statSync(attemptDir).uid, ownerUid)
      assert.strictEqual(statSync(attemptDir).mode & 0o777, 0o700)
      // the owner's own git works in the worktree, with no config change
      const asOwner = (...args: Array<string>) =>
        execFileSync("setpriv", [`--reuid=${ownerUid}`, `--regid=${ownerGid}`, "--clear-groups", "--", ...args], {
          encoding: "utf8",
          env: { ...process.env, HOME: home }
        })
      asOwner("git", "-C", wt, "status", "--porcelain")
      asOwner("touch", join(wt, "edited-by-owner.txt"))
      assert.strictEqual((await s.taskq("done", "--id", id)).code, 0)
      const cleanup = await s.taskq("cleanup")
      assert.strictEqual(cleanup.code, 0, cleanup.stderr)
      assert.strictEqual(git(repo, "show", `${branch}:edited-by-owner.txt`), "")
      // nothing in the owner's .git belongs to anyone else afterwards
      const foreign = execFileSync("find", [join(repo, ".git"), "!", "-uid", String(ownerUid)], { encoding: "utf8" })
      assert.strictEqual(foreign.trim(), "")
      assertUntouched(before, repo, branch)
      assertNoMarks()
    },
    300_000
  )
})
