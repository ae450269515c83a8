/** The Docker engine, through dockerode: images, task containers, logs. */
import { Context, Effect, Layer, Option, Queue, Stream } from "effect"
import type DockerClient from "dockerode"
import { PassThrough, Readable } from "node:stream"
import { TASK_LABEL } from "../core/naming.js"
import { TaskqConfig } from "../support/config.js"
import { type ContainerSpec, createOptions, isolatedNetworkOptions, whyNotIsolated } from "./containerBox.js"
import {
  type ContainerState,
  demuxBuffer,
  describeStop,
  hostPortOf,
  type StartedContainer,
  toState
} from "./containerState.js"
import {
  ContainerDied,
  DockerError,
  DockerUnavailable,
  ImageBuildFailed,
  translateDockerError
} from "./dockerErrors.js"

export type { BindMount, ContainerSpec } from "./containerBox.js"
export type { ContainerState, StartedContainer } from "./containerState.js"
export { describeStop }

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
  const { Dockerode } = yield* Effect.promise(() => import("./dockerode.js"))
  const client: DockerClient = new Dockerode({ socketPath })
  const endpoint = `unix://${socketPath}`
  const call = <A>(operation: string, f: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: translateDockerError(endpoint, operation) })
  /** A `DockerError` with one of `statuses` (404: gone, 304: nothing to do, ...) becomes `value`. */
  const ifStatus =
    <B>(statuses: ReadonlyArray<number>, value: B) =>
    <A, R>(self: Effect.Effect<A, DockerFailure, R>) =>
      self.pipe(
        Effect.catchTag("DockerError", (e) =>
          statuses.includes(e.statusCode) ? Effect.succeed(value) : Effect.fail(e)
        )
      )

  const inspect = Effect.fn("Docker.inspect")(function* (idOrName: string) {
    const info = yield* call("inspect", (abortSignal) => client.getContainer(idOrName).inspect({ abortSignal })).pipe(
      Effect.map(Option.some),
      ifStatus([404], Option.none())
    )
    return Option.map(info, toState)
  })

  const listTaskContainers = Effect.fn("Docker.listTaskContainers")(function* (taskId: string) {
    const list = yield* call("list containers", (abortSignal) =>
      client.listContainers({ all: true, filters: { label: [`${TASK_LABEL}=${taskId}`] }, abortSignal })
    )
    const states = yield* Effect.forEach(list, (c) => inspect(c.Id))
    return states.flatMap((s) => Option.toArray(s))
  })

  const tail = Effect.fn("Docker.tail")(function* (idOrName: string, lines: number) {
    const buffer = yield* call("logs", () =>
      client.getContainer(idOrName).logs({ stdout: true, stderr: true, tail: lines, follow: false })
    )
    return demuxBuffer(buffer)
  })

  /** Why a container that should run does not, with the end of its output. */
  const died = Effect.fnUntraced(function* (
    container: string,
    idOrName: string,
    state: Option.Option<ContainerState>,
    tailLines: number
  ) {
    return yield* new ContainerDied({
      container,
      status: Option.match(state, { onNone: () => "gone", onSome: (s) => s.status }),
      ...(Option.isSome(state) ? { exitCode: state.value.exitCode } : {}),
      oomKilled: Option.exists(state, (s) => s.oomKilled),
      how: Option.match(state, { onNone: () => "is gone", onSome: describeStop }),
      logsTail: yield* tail(idOrName, tailLines).pipe(Effect.orElseSucceed(() => "")),
      during: "start"
    })
  })

  const inspectNetwork = (name: string) =>
    call("inspect network", () => client.getNetwork(name).inspect()).pipe(
      Effect.map(Option.some),
      ifStatus([404], Option.none())
    )

  const openLogs = Effect.fnUntraced(function* (idOrName: string) {
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

  return Docker.of({
    endpoint,
    ping: call("ping", () => client.ping()).pipe(Effect.asVoid, Effect.withSpan("Docker.ping")),
    imageExists: Effect.fn("Docker.imageExists")(function* (tag: string) {
      return yield* call("inspect image", () => client.getImage(tag).inspect()).pipe(
        Effect.as(true),
        ifStatus([404], false)
      )
    }),
    buildImage: Effect.fn("Docker.buildImage")(function* (
      options: BuildOptions,
      onProgress: (line: string) => Effect.Effect<void>
    ) {
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
    }),
    /** `bridgeName`: the host interface, named so a firewall rule can match it (`iptables -i taskq0`). */
    ensureIsolatedNetwork: Effect.fn("Docker.ensureIsolatedNetwork")(function* (name: string, bridgeName: string) {
      let info = yield* inspectNetwork(name)
      if (Option.isNone(info)) {
        // 409: another runner created it first
        yield* call("create network", () => client.createNetwork(isolatedNetworkOptions(name, bridgeName))).pipe(
          Effect.asVoid,
          ifStatus([409], undefined)
        )
        info = yield* inspectNetwork(name)
      }
      if (Option.isNone(info))
        return yield* new DockerError({
          operation: "create network",
          statusCode: 0,
          reason: `network ${name} vanished right after it was created`
        })
      const refused = whyNotIsolated(name, info.value)
      if (refused !== undefined)
        return yield* new DockerError({ operation: "check network", statusCode: 0, reason: refused })
    }),
    startContainer: Effect.fn("Docker.startContainer")(function* (spec: ContainerSpec) {
      const container = yield* call("create container", (abortSignal) =>
        client.createContainer({ ...createOptions(spec), abortSignal })
      )
      yield* call("start container", () => container.start())
      const state = yield* inspect(container.id)
      if (Option.isSome(state) && !state.value.running) return yield* died(spec.name, container.id, state, 50)
      const hostPort = Option.flatMapNullishOr(state, (s) => hostPortOf(s, spec.containerPort))
      if (Option.isNone(hostPort))
        return yield* new DockerError({
          operation: "publish port",
          statusCode: 0,
          reason: `container ${spec.name} published no port for ${spec.containerPort}/tcp`
        })
      return { id: container.id, name: spec.name, hostPort: hostPort.value } satisfies StartedContainer
    }),
    inspect,
    logs: (idOrName) => Stream.unwrap(openLogs(idOrName)).pipe(Stream.withSpan("Docker.logs")),
    listTaskContainers,
    removeTaskContainers: Effect.fn("Docker.removeTaskContainers")(function* (taskId: string) {
      const containers = yield* listTaskContainers(taskId)
      yield* Effect.forEach(
        containers,
        (c) =>
          call("remove container", () => client.getContainer(c.id).remove({ force: true, v: true })).pipe(
            Effect.asVoid,
            ifStatus([404, 409], undefined)
          ),
        { discard: true }
      )
      return containers.map((c) => c.name)
    }),
    stop: Effect.fn("Docker.stop")(function* (idOrName: string) {
      // 304: already stopped; 404: already gone
      yield* call("stop", () => client.getContainer(idOrName).stop({ t: 5 })).pipe(
        Effect.asVoid,
        ifStatus([304, 404], undefined)
      )
    }),
    restart: Effect.fn("Docker.restart")(function* (idOrName: string, containerPort: number) {
      // 304: already running
      yield* call("start container", () => client.getContainer(idOrName).start()).pipe(
        Effect.asVoid,
        ifStatus([304], undefined)
      )
      const state = yield* inspect(idOrName)
      const port = Option.flatMapNullishOr(state, (s) => hostPortOf(s, containerPort))
      if (Option.isSome(state) && state.value.running && Option.isSome(port)) return port.value
      return yield* died(idOrName, idOrName, state, 20)
    }),
    tail
  })
})

export { ContainerDied, DockerError, DockerUnavailable, ImageBuildFailed }
