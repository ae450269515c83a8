/** The Docker engine, through dockerode: images, task containers, logs. */
import { Context, Effect, Layer, Option, Queue, Stream } from "effect"
import type DockerClient from "dockerode"
import { PassThrough, Readable } from "node:stream"
import { TASK_LABEL } from "../core/naming.js"
import { TaskqConfig } from "../support/config.js"
import {
  ContainerDied,
  DockerError,
  DockerUnavailable,
  ImageBuildFailed,
  translateDockerError
} from "./dockerErrors.js"

/** Marks the networks taskq created. */
const NETWORK_LABEL = "taskq.network"
const ICC_OPTION = "com.docker.network.bridge.enable_icc"

export interface BindMount {
  readonly host: string
  readonly container: string
  readonly readOnly?: boolean
}

export interface ContainerSpec {
  readonly name: string
  readonly image: string
  readonly labels: Readonly<Record<string, string>>
  /** `uid:gid` the container runs as. */
  readonly user: string
  readonly env: Readonly<Record<string, string>>
  readonly binds: ReadonlyArray<BindMount>
  readonly workdir?: string
  /** Overrides the image's entrypoint and command (tests, probes). */
  readonly entrypoint?: ReadonlyArray<string>
  readonly cmd?: ReadonlyArray<string>
  /** The port inside the container that is published on 127.0.0.1 on a free host port. */
  readonly containerPort: number
  /** The network to join (default: Docker's `bridge`). */
  readonly network?: string
  /** Memory limit; swap is not added on top of it. 0 or absent: unlimited. */
  readonly memoryBytes?: number
  readonly nanoCpus?: number
  /** Process limit. 0 or absent: unlimited. */
  readonly pidsLimit?: number
}

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

export interface BuildOptions {
  readonly contextDir: string
  readonly files: ReadonlyArray<string>
  readonly tag: string
  readonly noCache: boolean
  readonly pull: boolean
  readonly buildArgs: Readonly<Record<string, string>>
}

export type DockerFailure = DockerUnavailable | DockerError

export class Docker extends Context.Service<
  Docker,
  {
    readonly endpoint: string
    readonly ping: Effect.Effect<void, DockerFailure>
    readonly imageExists: (tag: string) => Effect.Effect<boolean, DockerFailure>
    /** Builds an image, passing each progress line to `onProgress`. */
    readonly buildImage: (
      options: BuildOptions,
      onProgress: (line: string) => Effect.Effect<void>
    ) => Effect.Effect<void, ImageBuildFailed | DockerFailure>
    /**
     * Makes sure the bridge network `name` exists with inter-container traffic disabled (creating it
     * when missing); a same-named network that lets containers talk is refused, never used.
     */
    readonly ensureIsolatedNetwork: (name: string, bridgeName: string) => Effect.Effect<void, DockerFailure>
    /** Creates and starts a task container; one that stops at once is `ContainerDied`. */
    readonly startContainer: (spec: ContainerSpec) => Effect.Effect<StartedContainer, ContainerDied | DockerFailure>
    readonly inspect: (idOrName: string) => Effect.Effect<Option.Option<ContainerState>, DockerFailure>
    /** The container's stdout and stderr, line by line, following until it stops (or the stream is interrupted). */
    readonly logs: (idOrName: string) => Stream.Stream<string, DockerFailure>
    /** Every container (running or not) labelled with this task id. */
    readonly listTaskContainers: (taskId: string) => Effect.Effect<ReadonlyArray<ContainerState>, DockerFailure>
    /** Stops and removes every container labelled with this task id; returns their names. */
    readonly removeTaskContainers: (taskId: string) => Effect.Effect<ReadonlyArray<string>, DockerFailure>
    readonly stop: (idOrName: string) => Effect.Effect<void, DockerFailure>
    /**
     * Starts a stopped task container again (a running one is left alone) and returns the host port
     * its `containerPort` is published on now (an ephemeral port may change across a restart).
     */
    readonly restart: (idOrName: string, containerPort: number) => Effect.Effect<number, ContainerDied | DockerFailure>
    /** The last `lines` lines of the container's output. */
    readonly tail: (idOrName: string, lines: number) => Effect.Effect<string, DockerFailure>
  }
>()("taskq/adapters/Docker") {
  /** The engine at `DOCKER_HOST` (unix sockets only), else /var/run/docker.sock. */
  static readonly layer = Layer.effect(
    Docker,
    Effect.gen(function* () {
      const host = (yield* TaskqConfig).values.dockerHost
      return yield* makeDocker(host.replace(/^unix:\/\//, ""))
    })
  )
  static readonly layerAt = (socketPath: string) => Layer.effect(Docker, makeDocker(socketPath))
}

const makeDocker = Effect.fnUntraced(function* (socketPath: string) {
  const { default: Dockerode } = yield* Effect.promise(() => import("dockerode"))
  const client: DockerClient = new Dockerode({ socketPath })
  const endpoint = `unix://${socketPath}`
  const call = <A>(operation: string, f: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: translateDockerError(endpoint, operation) })

  const inspect = (idOrName: string) =>
    call("inspect", (abortSignal) => client.getContainer(idOrName).inspect({ abortSignal })).pipe(
      Effect.map((info) => Option.some(toState(info))),
      Effect.catchTag("DockerError", (e) => (e.statusCode === 404 ? Effect.succeed(Option.none()) : Effect.fail(e)))
    )

  const listTaskContainers = (taskId: string) =>
    call("list containers", (abortSignal) =>
      client.listContainers({ all: true, filters: { label: [`${TASK_LABEL}=${taskId}`] }, abortSignal })
    ).pipe(
      Effect.flatMap((list) => Effect.forEach(list, (c) => inspect(c.Id))),
      Effect.map((states) => states.flatMap((s) => Option.toArray(s)))
    )

  const stop = (idOrName: string) =>
    call("stop", () => client.getContainer(idOrName).stop({ t: 5 })).pipe(
      // 304: already stopped; 404: already gone
      Effect.catchTag("DockerError", (e) =>
        e.statusCode === 304 || e.statusCode === 404 ? Effect.void : Effect.fail(e)
      ),
      Effect.asVoid
    )

  const tail = (idOrName: string, lines: number) =>
    call("logs", () =>
      client.getContainer(idOrName).logs({ stdout: true, stderr: true, tail: lines, follow: false })
    ).pipe(Effect.map(demuxBuffer))

  const inspectNetwork = (name: string) =>
    call("inspect network", () => client.getNetwork(name).inspect()).pipe(
      Effect.map(Option.some),
      Effect.catchTag("DockerError", (e) => (e.statusCode === 404 ? Effect.succeed(Option.none()) : Effect.fail(e)))
    )
  /** `bridgeName`: the host interface, named so a firewall rule can match it (`iptables -i taskq0`). */
  const ensureIsolatedNetwork = (name: string, bridgeName: string) =>
    Effect.gen(function* () {
      let info = yield* inspectNetwork(name)
      if (Option.isNone(info)) {
        yield* call("create network", () =>
          client.createNetwork({
            Name: name,
            Driver: "bridge",
            CheckDuplicate: true,
            Labels: { [NETWORK_LABEL]: "isolated" },
            Options: { [ICC_OPTION]: "false", "com.docker.network.bridge.name": bridgeName }
          })
        ).pipe(
          // 409: another runner created it first
          Effect.catchTag("DockerError", (e) => (e.statusCode === 409 ? Effect.void : Effect.fail(e)))
        )
        info = yield* inspectNetwork(name)
      }
      if (Option.isNone(info))
        return yield* new DockerError({
          operation: "create network",
          statusCode: 0,
          reason: `network ${name} vanished right after it was created`
        })
      if (info.value.Driver !== "bridge" || info.value.Options?.[ICC_OPTION] !== "false") {
        return yield* new DockerError({
          operation: "check network",
          statusCode: 0,
          reason: `network ${name} exists but is not a bridge with ${ICC_OPTION}=false, so tasks could reach each other; remove it (docker network rm ${name}) and taskq creates it again`
        })
      }
    }).pipe(Effect.withSpan("Docker.ensureIsolatedNetwork"))

  return Docker.of({
    endpoint,
    ensureIsolatedNetwork,
    tail: Effect.fn("Docker.tail")(function* (idOrName: string, lines: number) {
      return yield* tail(idOrName, lines)
    }),
    ping: call("ping", () => client.ping()).pipe(Effect.asVoid, Effect.withSpan("Docker.ping")),
    imageExists: Effect.fn("Docker.imageExists")(function* (tag: string) {
      return yield* call("inspect image", () => client.getImage(tag).inspect()).pipe(
        Effect.as(true),
        Effect.catchTag("DockerError", (e) => (e.statusCode === 404 ? Effect.succeed(false) : Effect.fail(e)))
      )
    }),
    buildImage: (options, onProgress) =>
      Effect.gen(function* () {
        const stream = yield* call("build", () =>
          client.buildImage(
            { context: options.contextDir, src: [...options.files] },
            {
              t: options.tag,
              nocache: options.noCache,
              pull: options.pull,
              rm: true,
              forcerm: true,
              buildargs: { ...options.buildArgs }
            }
          )
        )
        const lines: Array<string> = []
        let failure: string | undefined
        // progress events as a stream: each line reaches onProgress while the build runs
        yield* Stream.callback<string>((queue) =>
          Effect.sync(() => {
            client.modem.followProgress(
              stream,
              (err) => {
                if (err) failure = String((err as Error).message ?? err)
                Queue.endUnsafe(queue)
              },
              (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
                if (event.error) failure = event.errorDetail?.message ?? event.error
                const line = (event.stream ?? event.status ?? event.error ?? "").replace(/\n$/, "")
                if (line.trim() !== "") Queue.offerUnsafe(queue, line)
              }
            )
          })
        ).pipe(
          Stream.runForEach((line) =>
            Effect.andThen(
              Effect.sync(() => lines.push(line)),
              onProgress(line)
            )
          )
        )
        if (failure !== undefined)
          return yield* new ImageBuildFailed({ tag: options.tag, reason: failure, output: lines.join("\n") })
      }).pipe(Effect.withSpan("Docker.buildImage")),
    startContainer: (spec) =>
      Effect.gen(function* () {
        const portKey = `${spec.containerPort}/tcp`
        const container = yield* call("create container", (abortSignal) =>
          client.createContainer({
            name: spec.name,
            Image: spec.image,
            Labels: { ...spec.labels },
            User: spec.user,
            Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
            ...(spec.workdir !== undefined ? { WorkingDir: spec.workdir } : {}),
            ...(spec.entrypoint !== undefined ? { Entrypoint: [...spec.entrypoint] } : {}),
            ...(spec.cmd !== undefined ? { Cmd: [...spec.cmd] } : {}),
            ExposedPorts: { [portKey]: {} },
            HostConfig: {
              ...(spec.network !== undefined ? { NetworkMode: spec.network } : {}),
              Init: true,
              CapDrop: ["ALL"],
              SecurityOpt: ["no-new-privileges"],
              Binds: spec.binds.map((b) => `${b.host}:${b.container}${b.readOnly ? ":ro" : ""}`),
              PortBindings: { [portKey]: [{ HostIp: "127.0.0.1", HostPort: "" }] },
              ExtraHosts: ["host.docker.internal:host-gateway"],
              // MemorySwap = Memory: no swap beyond the limit, so a runaway agent is stopped, not slowed
              ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
              ...(spec.nanoCpus !== undefined ? { NanoCpus: spec.nanoCpus } : {}),
              ...(spec.pidsLimit !== undefined ? { PidsLimit: spec.pidsLimit } : {})
            },
            abortSignal
          })
        )
        yield* call("start container", () => container.start())
        const state = yield* inspect(container.id)
        if (Option.isSome(state) && !state.value.running) {
          return yield* new ContainerDied({
            container: spec.name,
            status: state.value.status,
            exitCode: state.value.exitCode,
            oomKilled: state.value.oomKilled,
            how: describeStop(state.value),
            logsTail: yield* tail(container.id, 50).pipe(Effect.orElseSucceed(() => "")),
            during: "start"
          })
        }
        const hostPort = Option.flatMap(state, (s) =>
          Option.fromNullishOr(s.ports.find((p) => p.containerPort === portKey)?.hostPort)
        )
        if (Option.isNone(hostPort)) {
          return yield* new DockerError({
            operation: "publish port",
            statusCode: 0,
            reason: `container ${spec.name} published no port for ${portKey}`
          })
        }
        return { id: container.id, name: spec.name, hostPort: hostPort.value }
      }).pipe(Effect.withSpan("Docker.startContainer")),
    inspect: Effect.fn("Docker.inspect")(function* (idOrName: string) {
      return yield* inspect(idOrName)
    }),
    logs: (idOrName) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const raw = yield* Effect.acquireRelease(
            call("logs", (abortSignal): Promise<NodeJS.ReadableStream> =>
              client.getContainer(idOrName).logs({ follow: true, stdout: true, stderr: true, abortSignal })
            ),
            (s) => Effect.sync(() => (s instanceof Readable ? s.destroy() : undefined))
          )
          const merged = new PassThrough()
          client.modem.demuxStream(raw, merged, merged)
          raw.on("end", () => merged.end())
          raw.on("error", (e) => merged.destroy(e))
          return Stream.fromAsyncIterable(merged, translateDockerError(endpoint, "logs")).pipe(
            Stream.map((b: Buffer) => b.toString("utf8")),
            Stream.splitLines
          )
        })
      ).pipe(Stream.withSpan("Docker.logs")),
    listTaskContainers: Effect.fn("Docker.listTaskContainers")(function* (taskId: string) {
      return yield* listTaskContainers(taskId)
    }),
    removeTaskContainers: (taskId) =>
      Effect.gen(function* () {
        const containers = yield* listTaskContainers(taskId)
        yield* Effect.forEach(
          containers,
          (c) =>
            call("remove container", () => client.getContainer(c.id).remove({ force: true, v: true })).pipe(
              Effect.catchTag("DockerError", (e) =>
                e.statusCode === 404 || e.statusCode === 409 ? Effect.void : Effect.fail(e)
              )
            ),
          { discard: true }
        )
        return containers.map((c) => c.name)
      }).pipe(Effect.withSpan("Docker.removeTaskContainers")),
    stop: Effect.fn("Docker.stop")(function* (idOrName: string) {
      return yield* stop(idOrName)
    }),
    restart: Effect.fn("Docker.restart")(function* (idOrName: string, containerPort: number) {
      yield* call("start container", () => client.getContainer(idOrName).start()).pipe(
        // 304: already running
        Effect.catchTag("DockerError", (e) => (e.statusCode === 304 ? Effect.void : Effect.fail(e)))
      )
      const state = yield* inspect(idOrName)
      const port = Option.flatMap(state, (s) =>
        Option.fromNullishOr(s.ports.find((p) => p.containerPort === `${containerPort}/tcp`)?.hostPort)
      )
      if (Option.isSome(state) && state.value.running && Option.isSome(port)) return port.value
      return yield* new ContainerDied({
        container: idOrName,
        status: Option.match(state, { onNone: () => "gone", onSome: (s) => s.status }),
        ...(Option.isSome(state) ? { exitCode: state.value.exitCode } : {}),
        oomKilled: Option.exists(state, (s) => s.oomKilled),
        how: Option.match(state, { onNone: () => "is gone", onSome: describeStop }),
        logsTail: yield* tail(idOrName, 20).pipe(Effect.orElseSucceed(() => "")),
        during: "start"
      })
    })
  })
})

/** How a stopped container ended, for a person: an OOM kill says so, with the limit. */
export const describeStop = (state: ContainerState): string =>
  state.oomKilled
    ? `was killed for running out of memory (limit ${state.memoryBytes > 0 ? `${Math.round(state.memoryBytes / 1024 / 1024)} MiB` : "none: the host ran out"}, exit ${state.exitCode}; raise it with --memory-mb)`
    : `stopped (${state.status}, exit ${state.exitCode})`

/** The text of a non-TTY log buffer: 8-byte frame headers stripped, stdout and stderr in order. */
const demuxBuffer = (b: Buffer): string => {
  let out = ""
  for (let i = 0; i + 8 <= b.length;) {
    const size = b.readUInt32BE(i + 4)
    out += b.subarray(i + 8, i + 8 + size).toString("utf8")
    i += 8 + size
  }
  return out
}

const toState = (info: DockerClient.ContainerInspectInfo): ContainerState => ({
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

export { ContainerDied, DockerError, DockerUnavailable, ImageBuildFailed }
