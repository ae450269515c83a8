// What the agent's private git dir costs per task, host side, against what taskq did before it:
//   before: `git worktree add` (wildcard safe.directory) + `chown -R` of the worktree and its admin
//           dir to the container uid (the container then wrote straight into the repository's .git);
//   after:  Git.addWorktree + Git.prepareBox + sealAttemptDir, then, once the agent has committed,
//           Git.importBox (fsck'd fetch through taskq's view, update-ref, index reset).
// `node gitbox.mjs DIR FILES RUNS` builds a repository of FILES files in DIR and prints JSON medians.
// Driven by bench/overhead.sh (BOX_FILES, BOX_RUNS).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Console, Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Git } from "../src/adapters/Git.js"
import { sealAttemptDir } from "../src/pipeline/ownership.js"

const [dir = "/tmp/taskq-bench-gitbox", files = "2000", runs = "5"] = process.argv.slice(2)
const sh = (cwd: string, cmd: string, ...args: Array<string>) =>
  execFileSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "b",
      GIT_AUTHOR_EMAIL: "b@b",
      GIT_COMMITTER_NAME: "b",
      GIT_COMMITTER_EMAIL: "b@b"
    }
  })
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const time = (f: () => void) => {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}

const repo = join(dir, "repo")
mkdirSync(repo, { recursive: true })
sh(repo, "git", "init", "-q", "-b", "main")
for (let i = 0; i < Number(files); i++) {
  mkdirSync(join(repo, `d${i % 50}`), { recursive: true })
  writeFileSync(join(repo, `d${i % 50}`, `f${i}.txt`), `file ${i}\n`.repeat(100))
}
sh(repo, "git", "add", "-A")
sh(repo, "git", "commit", "-q", "-m", "init")

const program = Effect.gen(function* () {
  const git = yield* Git
  const before: Array<number> = []
  const after: Array<number> = []
  const imports: Array<number> = []
  for (let i = 0; i < Number(runs); i++) {
    const wt = join(dir, `old-${i}`)
    before.push(
      time(() => {
        sh(repo, "git", "-c", "safe.directory=*", "worktree", "add", "-q", "-b", `old/${i}`, wt, "main")
        sh(repo, "chown", "-R", "1000:1000", wt, join(repo, ".git", "worktrees"))
      })
    )
    const nwt = join(dir, `new-${i}`)
    const attempt = join(dir, `attempt-${i}`)
    const t0 = performance.now()
    yield* git.addWorktree(repo, nwt, `new/${i}`, "main")
    mkdirSync(join(attempt, "config"), { recursive: true })
    mkdirSync(join(attempt, "data"), { recursive: true })
    const box = yield* git.prepareBox(repo, nwt, `new/${i}`, attempt)
    yield* sealAttemptDir({ uid: 0, gid: 0 }, attempt, [join(attempt, "config"), join(attempt, "data")])
    after.push(performance.now() - t0)
    // the agent commits in its box (as in the container), then taskq brings the branch back
    writeFileSync(join(nwt, "agent.txt"), "agent\n")
    sh(nwt, "git", `--git-dir=${box.gitDir}`, `--work-tree=${nwt}`, "add", "agent.txt")
    sh(nwt, "git", `--git-dir=${box.gitDir}`, `--work-tree=${nwt}`, "commit", "-q", "-m", "agent")
    const t1 = performance.now()
    yield* git.importBox(repo, nwt, `new/${i}`, attempt)
    imports.push(performance.now() - t1)
  }
  const r = (x: number) => Math.round(x)
  yield* Console.log(
    JSON.stringify({
      files: Number(files),
      runs: Number(runs),
      beforeSetupMs: r(median(before)),
      afterSetupMs: r(median(after)),
      importMs: r(median(imports)),
      addedPerTaskMs: r(median(after) + median(imports) - median(before))
    })
  )
})

NodeRuntime.runMain(program.pipe(Effect.provide(Git.layer.pipe(Layer.provideMerge(NodeServices.layer)))))
