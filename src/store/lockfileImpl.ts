/** proper-lockfile itself, behind `lockfile.ts`'s dynamic import (its own chunk of the bundle). */
import lockfile from "proper-lockfile"

export const lock = lockfile.lock
