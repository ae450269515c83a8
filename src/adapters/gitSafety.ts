/**
 * How taskq runs git on the host without executing anything the agent could have written: every
 * exec path of git switched off on the command line (which wins over any config file and reaches
 * git's own child processes through GIT_CONFIG_PARAMETERS), no system or global config, and an
 * explicit git dir for every call on a task (never the worktree's `.git` file as found).
 */

/** `-c` overrides on every host-side git call. */
export const HARDENING: ReadonlyArray<string> = [
  "core.hooksPath=/dev/null",
  "core.fsmonitor=false",
  "core.pager=cat",
  "core.editor=false",
  "sequence.editor=false",
  "core.sshCommand=false",
  "core.askPass=false",
  "core.attributesFile=/dev/null",
  "core.excludesFile=/dev/null",
  "credential.helper=",
  "commit.gpgSign=false",
  "tag.gpgSign=false",
  "gc.auto=0",
  "maintenance.auto=false",
  "submodule.recurse=false",
  "status.submoduleSummary=false"
].flatMap((kv) => ["-c", kv])

/** The environment of every host-side git call: no system/global config, no prompts, no pager. */
export const HARDENED_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_ATTR_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
  GIT_PAGER: "cat",
  PAGER: "cat",
  GIT_NO_REPLACE_OBJECTS: "1"
}

/** Flags for every `diff`: no external diff program, no textconv driver. */
export const DIFF_FLAGS: ReadonlyArray<string> = ["--no-ext-diff", "--no-textconv"]

/**
 * `safe.directory` entries for a path the user named and each of its parents: git then accepts
 * the repository that contains it (as the user asked) and no other, instead of a wildcard.
 */
export const safeDirectories = (dir: string): ReadonlyArray<string> => {
  const parts = dir.replace(/\/+$/, "").split("/").filter(Boolean)
  const dirs = ["/", ...parts.map((_, i) => "/" + parts.slice(0, i + 1).join("/"))]
  return dirs.flatMap((d) => ["-c", `safe.directory=${d}`])
}

/** The path a `.git` file (`gitdir: <path>`) points to, resolved against the worktree; undefined when malformed. */
export const gitFileTarget = (content: string, worktree: string): string | undefined => {
  const m = /^gitdir: (.+)\n?$/.exec(content)
  if (!m?.[1] || m[1].includes("\n")) return undefined
  const target = m[1]
  return target.startsWith("/") ? target : `${worktree}/${target}`
}

/** A 40 (SHA-1) or 64 (SHA-256) hex object name, alone on its line. */
export const isObjectName = (s: string): boolean => /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(s)

/** The tip of `ref` in a `packed-refs` file's text. */
export const packedRef = (text: string, ref: string): string | undefined => {
  for (const line of text.split("\n")) {
    const [sha, name] = line.split(" ")
    if (name === ref && sha !== undefined && isObjectName(sha)) return sha
  }
  return undefined
}
