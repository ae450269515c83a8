/** Which uid:gid task containers run as: the invoking user's, never root. */

/** The uid:gid used when taskq itself runs as root. */
export const UNPRIVILEGED = { uid: 1000, gid: 1000 } as const

export interface ContainerUser {
  readonly uid: number
  readonly gid: number
  readonly hostIsRoot: boolean
}

export const containerUser = (uid: number, gid: number): ContainerUser =>
  uid === 0 ? { ...UNPRIVILEGED, hostIsRoot: true } : { uid, gid, hostIsRoot: false }

/** The invoking process's user, mapped by `containerUser`. */
export const currentContainerUser = (): ContainerUser =>
  containerUser(process.getuid?.() ?? UNPRIVILEGED.uid, process.getgid?.() ?? UNPRIVILEGED.gid)
