/** What the engine says of a container, as the Docker adapter reports it. */
import type DockerClient from "dockerode"
import { publishedPortKey } from "./containerBox.js"

export interface StartedContainer {
  readonly id: string
  readonly name: string
  readonly hostPort: number
}

export interface ContainerState {
  readonly id: string
  readonly name: string
  readonly running: boolean
  readonly status: string
  readonly exitCode: number
  readonly user: string
  readonly labels: Readonly<Record<string, string>>
  readonly capDrop: ReadonlyArray<string>
  readonly securityOpt: ReadonlyArray<string>
  readonly init: boolean
  /** The kernel killed it for want of memory (`State.OOMKilled`). */
  readonly oomKilled: boolean
  /** Its memory limit in bytes (0: none), pids limit (0: none), network mode. */
  readonly memoryBytes: number
  readonly pidsLimit: number
  readonly network: string
  /** Published ports: container port -> host ip and port. */
  readonly ports: ReadonlyArray<{ readonly containerPort: string; readonly hostIp: string; readonly hostPort: number }>
}

export const toState = (info: DockerClient.ContainerInspectInfo): ContainerState => ({
  id: info.Id,
  name: info.Name.replace(/^\//, ""),
  running: info.State.Running,
  status: info.State.Status,
  exitCode: info.State.ExitCode,
  user: info.Config.User,
  labels: info.Config.Labels ?? {},
  capDrop: (info.HostConfig.CapDrop as ReadonlyArray<string> | undefined) ?? [],
  securityOpt: info.HostConfig.SecurityOpt ?? [],
  init: (info.HostConfig as { Init?: boolean }).Init === true,
  oomKilled: info.State.OOMKilled === true,
  memoryBytes: info.HostConfig.Memory ?? 0,
  pidsLimit: info.HostConfig.PidsLimit ?? 0,
  network: info.HostConfig.NetworkMode ?? "",
  ports: Object.entries(info.NetworkSettings.Ports ?? {}).flatMap(([containerPort, bindings]) =>
    (bindings ?? []).map((b) => ({ containerPort, hostIp: b.HostIp, hostPort: Number(b.HostPort) }))
  )
})

/** How a stopped container ended, for a person: an OOM kill says so, with the limit. */
export const describeStop = (state: ContainerState): string => {
  if (!state.oomKilled) return `stopped (${state.status}, exit ${state.exitCode})`
  const limit = state.memoryBytes > 0 ? `${Math.round(state.memoryBytes / 1024 / 1024)} MiB` : "none: the host ran out"
  return `was killed for running out of memory (limit ${limit}, exit ${state.exitCode}; raise it with --memory-mb)`
}

/** The text of a non-TTY log buffer: 8-byte frame headers stripped, stdout and stderr in order. */
export const demuxBuffer = (b: Buffer): string => {
  let out = ""
  for (let i = 0; i + 8 <= b.length;) {
    const size = b.readUInt32BE(i + 4)
    out += b.subarray(i + 8, i + 8 + size).toString("utf8")
    i += 8 + size
  }
  return out
}

/** The host port `containerPort` is published on, if it is. */
export const hostPortOf = (state: ContainerState, containerPort: number): number | undefined =>
  state.ports.find((p) => p.containerPort === publishedPortKey(containerPort))?.hostPort
