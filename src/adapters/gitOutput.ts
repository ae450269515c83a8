/** Parsers of git's machine-readable output (`--porcelain`, `-z`). */

export interface WorktreeInfo {
  readonly path: string
  readonly head: string
  readonly branch: string | undefined
}

/** Parses `git worktree list --porcelain`. */
export const parseWorktrees = (text: string): ReadonlyArray<WorktreeInfo> =>
  text
    .split("\n\n")
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name} `))
          ?.slice(name.length + 1)
      const branch = field("branch")
      return { path: field("worktree") ?? "", head: field("HEAD") ?? "", branch: branch?.replace(/^refs\/heads\//, "") }
    })

/** Paths of the gitlinks (mode 160000) in `ls-files --stage -z` or `ls-tree -r -z` output. */
export const gitlinkPaths = (raw: string): ReadonlyArray<string> =>
  raw
    .split("\0")
    .filter((entry) => entry.startsWith("160000 "))
    .flatMap((entry) => {
      const tab = entry.indexOf("\t")
      return tab < 0 ? [] : [entry.slice(tab + 1)]
    })

/** Paths that `diff --cached --raw -z` shows becoming gitlinks (mode 160000). */
export const nestedRepos = (raw: string): ReadonlyArray<string> => {
  const fields = raw.split("\0")
  const paths: Array<string> = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]?.split(" ") ?? []
    const path = fields[i + 1]
    if (meta[1] === "160000" && path) paths.push(path)
  }
  return paths
}
