/** Which uid:gid task containers run as, and who taskq runs as. */

export interface ContainerUser {
  readonly uid: number
  readonly gid: number
}

/** The uid of the taskq process (0 where the platform has none, as on Windows). */
export const currentUid = (): number => process.getuid?.() ?? 0

/** The gid of the taskq process. */
export const currentGid = (): number => process.getgid?.() ?? 0

/**
 * The user a task container runs as: the invoking user; when taskq runs as root, the repository's
 * owner, so the agent's files belong to them (uid 0 only for a root-owned repository, with every
 * capability dropped: see README "Security model").
 */
export const containerUser = (invoking: ContainerUser, repoOwner: ContainerUser): ContainerUser =>
  invoking.uid === 0 ? repoOwner : invoking
