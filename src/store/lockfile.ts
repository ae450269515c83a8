/**
 * proper-lockfile, loaded on the first lock: with it come graceful-fs (which patches `fs`), `assert`
 * and signal-exit's handlers, none of which a read-only command (`status` of a large queue) needs.
 */
import type { LockOptions } from "proper-lockfile"

type Release = () => Promise<void>

/** `lockfile.lock(file, options)`, proper-lockfile imported the first time (the runtime keeps the module). */
export const lockFile = async (file: string, options: LockOptions): Promise<Release> =>
  (await import("./lockfileImpl.js")).lock(file, options)
