/** Hands host folders to the container's user when taskq runs as root (containers never run as root). */
import { Effect } from "effect"
import type { ChildProcessSpawner } from "effect/process"
import type { StageError } from "../core/errors.js"
import { runCommand } from "../support/process.js"
import type { ContainerUser } from "../support/user.js"

/** `chown -R` the paths to the container user; nothing to do unless the host user is root. */
export const handOver = (
  user: ContainerUser,
  paths: ReadonlyArray<string>
): Effect.Effect<void, StageError, ChildProcessSpawner.ChildProcessSpawner> =>
  !user.hostIsRoot || paths.length === 0
    ? Effect.void
    : runCommand("setup", "chown", ["-R", `${user.uid}:${user.gid}`, "--", ...paths]).pipe(Effect.asVoid)
