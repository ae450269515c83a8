// Repositories by URL with real git: the mirror, a worktree made from it, the push back to the URL
// (hooks of the remote never run), cleanup's view of the task, and deleting the remote branch.
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Git } from "../../src/adapters/Git.js"
import {
  deleteRemoteBranch,
  isRepoUrl,
  localPaths,
  localTask,
  publishBranch,
  remoteDefaultBranch
} from "../../src/pipeline/mirror.js"
import { QueuePaths } from "../../src/support/paths.js"
import { git, makeRepo, tempDir } from "../helpers/fixtures.js"
import { sampleRecord } from "../helpers/layers.js"

const setup = () => {
  const bare = join(tempDir("taskq-origin-"), "origin.git")
  git(makeRepo(), "clone", "-q", "--bare", ".", bare)
  const mark = join(tempDir("taskq-mark-"), "hook-ran")
  const queue = join(tempDir("taskq-runner-"), "queue")
  mkdirSync(queue, { recursive: true })
  return { bare, url: `file://${bare}`, mark, queue }
}
const layer = (queue: string) =>
  Layer.mergeAll(Git.layer, QueuePaths.layer(queue)).pipe(Layer.provideMerge(NodeServices.layer))

describe("repositories by URL", () => {
  it("tells URLs from paths", () => {
    for (const u of ["file:///srv/a.git", "ssh://git@h/a.git", "https://h/a.git"]) assert.isTrue(isRepoUrl(u), u)
    for (const p of ["/srv/a", "./a", "a", "file:/x"]) assert.isFalse(isRepoUrl(p), p)
  })

  it.live(
    "mirror -> worktree -> agent's work pushed to the URL, hooks off; cleanup's view; remote branch deleted",
    () => {
      const { bare, url, mark, queue } = setup()
      return Effect.gen(function* () {
        assert.strictEqual(yield* remoteDefaultBranch(url), "main")
        const task = sampleRecord("T-url", queue, { repo: url, base: "main", worktree_path: "/elsewhere/T-url" })
        const local = yield* localTask(task)
        assert.notStrictEqual(local.repo, url)
        assert.strictEqual(local.base, "refs/remotes/origin/main")
        assert.strictEqual(local.worktree_path, join(queue, "worktrees", "T-url"))
        const g = yield* Git
        const sha = yield* g.resolveCommit(local.repo, local.base)
        yield* g.addWorktree(local.repo, local.worktree_path, local.branch, sha)
        writeFileSync(join(local.worktree_path, "agent.txt"), "the agent's work\n")
        // the mirror is the worktree's git dir, within the agent's reach: a hook it plants there must not run
        for (const hook of ["pre-push", "pre-commit", "post-commit"])
          writeFileSync(join(local.repo, "hooks", hook), `#!/bin/sh\ntouch ${mark}\n`, { mode: 0o755 })
        assert.strictEqual(yield* publishBranch(local), url)
        assert.strictEqual(git(bare, "show", "refs/heads/taskq/T-url:agent.txt"), "the agent's work")
        assert.isFalse(existsSync(mark), "no hook of the mirror ran")
        // a second fetch with the task branch checked out in a worktree works (remote refs only)
        const again = yield* localTask(task)
        assert.strictEqual(again.repo, local.repo)
        assert.deepStrictEqual(yield* localPaths(task), {
          ...task,
          repo: local.repo,
          worktree_path: local.worktree_path
        })
        assert.isTrue(yield* deleteRemoteBranch(url, "taskq/T-url"))
        assert.isFalse(yield* deleteRemoteBranch(url, "taskq/T-url"))
        assert.strictEqual(git(bare, "branch", "--list", "taskq/T-url"), "")
      }).pipe(Effect.provide(layer(queue)))
    }
  )

  it.live("a local repo's task is left as it is; an unreachable URL is one clear error", () => {
    const { queue } = setup()
    return Effect.gen(function* () {
      const task = sampleRecord("T-local", queue)
      assert.deepStrictEqual(yield* localTask(task), task)
      assert.isUndefined(yield* publishBranch({ ...task, repo: makeRepo() }))
      const e = yield* remoteDefaultBranch("file:///nonexistent/repo.git").pipe(Effect.flip)
      assert.include(e.message, "cannot read the repository file:///nonexistent/repo.git")
    }).pipe(Effect.provide(layer(queue)))
  })
})
