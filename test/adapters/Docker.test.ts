// The Docker adapter against the real engine.
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option, Stream } from "effect"
import { execFileSync } from "node:child_process"
import { type ContainerSpec, createOptions } from "../../src/adapters/containerBox.js"
import { Docker } from "../../src/adapters/Docker.js"
import { DEFAULT_BASE_IMAGE } from "../../src/core/constants.js"
import { TASK_LABEL } from "../../src/core/naming.js"
import { TaskqConfig } from "../../src/support/config.js"

const LiveDocker = Docker.layer.pipe(Layer.provide(TaskqConfig.layer))
const taskId = (name: string) => `dt-${name}-${Math.random().toString(36).slice(2, 8)}`
const sleeper = (id: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: `task-${id}-${Math.random().toString(36).slice(2, 6)}`,
  image: DEFAULT_BASE_IMAGE,
  labels: { [TASK_LABEL]: id, "taskq.attempt": "1" },
  user: "1000:1000",
  env: { HELLO: "world" },
  binds: [],
  containerPort: 4096,
  entrypoint: ["sleep"],
  cmd: ["300"],
  ...extra
})

layer(LiveDocker, { excludeTestServices: true })("Docker (real engine)", (it) => {
  it.effect(
    "starts a locked-down task container: labels, uid, no caps, no-new-privileges, init, port on 127.0.0.1",
    () =>
      Effect.gen(function* () {
        const docker = yield* Docker
        const id = taskId("start")
        const spec = sleeper(id, {
          pidsLimit: 64,
          memoryBytes: 256 * 1024 * 1024,
          binds: [{ host: "/etc/hostname", container: "/run/probe", readOnly: true }]
        })
        const started = yield* docker.startContainer(spec)
        assert.isAbove(started.hostPort, 0)
        const state = Option.getOrThrow(yield* docker.inspect(started.name))
        assert.isTrue(state.running)
        assert.strictEqual(state.user, "1000:1000")
        assert.deepStrictEqual(state.capDrop, ["ALL"])
        assert.deepStrictEqual(state.securityOpt, ["no-new-privileges"])
        assert.isTrue(state.init)
        assert.deepStrictEqual(state.ports, [
          { containerPort: "4096/tcp", hostIp: "127.0.0.1", hostPort: started.hostPort }
        ])
        assert.strictEqual(state.labels[TASK_LABEL], id)
        // inside: not root, the env we gave, and PID 1 is docker's init
        const inside = execFileSync(
          "docker",
          ["exec", started.name, "sh", "-c", "id -u; echo $HELLO; cat /proc/1/comm"],
          { encoding: "utf8" }
        )
          .trim()
          .split("\n")
        assert.deepStrictEqual(inside, ["1000", "world", "docker-init"])
        const host = execFileSync(
          "docker",
          [
            "inspect",
            "-f",
            "{{.HostConfig.PidsLimit}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}",
            started.name
          ],
          { encoding: "utf8" }
        ).trim()
        assert.strictEqual(host, `64 ${256 * 1024 * 1024} ${256 * 1024 * 1024}`)
        // the engine kept every setting of the box exactly as containerBox asked for it
        const kept: Record<string, unknown> = JSON.parse(
          execFileSync("docker", ["inspect", "-f", "{{json .HostConfig}}", started.name], { encoding: "utf8" })
        )
        for (const [key, value] of Object.entries(createOptions(spec).HostConfig ?? {}))
          assert.deepStrictEqual(kept[key], value, `HostConfig.${key}`)
        assert.deepStrictEqual(yield* docker.removeTaskContainers(id), [started.name])
      })
  )

  it.effect("removes every container labelled with the task id, running or not, idempotently", () =>
    Effect.gen(function* () {
      const docker = yield* Docker
      const id = taskId("remove")
      const a = yield* docker.startContainer(sleeper(id))
      const b = yield* docker.startContainer(sleeper(id))
      const other = yield* docker.startContainer(sleeper(taskId("other")))
      yield* docker.stop(b.name)
      assert.strictEqual((yield* docker.listTaskContainers(id)).length, 2)
      assert.sameMembers([...(yield* docker.removeTaskContainers(id))], [a.name, b.name])
      assert.deepStrictEqual(yield* docker.listTaskContainers(id), [])
      assert.deepStrictEqual(yield* docker.removeTaskContainers(id), [])
      assert.isTrue(Option.isSome(yield* docker.inspect(other.name)), "another task's container is left alone")
      yield* Effect.sync(() => execFileSync("docker", ["rm", "-f", other.name]))
    })
  )

  it.effect("streams a container's stdout and stderr lines", () =>
    Effect.gen(function* () {
      const docker = yield* Docker
      const id = taskId("logs")
      const c = yield* docker.startContainer(
        sleeper(id, { entrypoint: ["sh", "-c"], cmd: ["echo one; echo two >&2; echo three; sleep 1"] })
      )
      const lines = yield* docker.logs(c.name).pipe(Stream.runCollect)
      assert.deepStrictEqual([...lines].sort(), ["one", "three", "two"])
      yield* docker.removeTaskContainers(id)
    })
  )

  it.effect("a refused container (unknown image) is a DockerError with the engine's status and reason", () =>
    Effect.gen(function* () {
      const docker = yield* Docker
      const e = yield* docker
        .startContainer(sleeper(taskId("bad"), { image: "taskq/no-such-image:never" }))
        .pipe(Effect.flip)
      assert.strictEqual(e._tag, "DockerError")
      if (e._tag === "DockerError") {
        assert.strictEqual(e.operation, "create container")
        assert.strictEqual(e.statusCode, 404)
        assert.include(e.reason, "no-such-image")
      }
      assert.isTrue(Option.isNone(yield* docker.inspect("taskq-surely-absent")))
    })
  )

  it.effect(
    "the isolated network: created once with inter-container traffic off; a same-named open one is refused",
    () =>
      Effect.gen(function* () {
        const docker = yield* Docker
        const suffix = Math.random().toString(36).slice(2, 8)
        const name = `dt-net-${suffix}`
        const open = `dt-open-${suffix}`
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => execFileSync("docker", ["network", "rm", name, open], { stdio: "ignore" })).pipe(
            Effect.ignore
          )
        )
        yield* docker.ensureIsolatedNetwork(name, `dtn${suffix}`)
        yield* docker.ensureIsolatedNetwork(name, `dtn${suffix}`)
        const options = execFileSync(
          "docker",
          ["network", "inspect", "-f", '{{index .Options "com.docker.network.bridge.enable_icc"}} {{.Driver}}', name],
          { encoding: "utf8" }
        ).trim()
        assert.strictEqual(options, "false bridge")
        execFileSync("docker", ["network", "create", open], { stdio: "ignore" })
        const e = yield* docker.ensureIsolatedNetwork(open, `dto${suffix}`).pipe(Effect.flip)
        assert.include(
          e.message,
          `network ${open} exists but is not a bridge with com.docker.network.bridge.enable_icc=false`
        )
        // a container on it is limited and says how it ended
        const id = taskId("net")
        const c = yield* docker.startContainer(
          sleeper(id, { network: name, memoryBytes: 64 * 1024 * 1024, pidsLimit: 32, cmd: ["1"] })
        )
        yield* Effect.sleep("2 seconds")
        const state = Option.getOrThrow(yield* docker.inspect(c.name))
        assert.deepInclude(state, { network: name, memoryBytes: 64 * 1024 * 1024, pidsLimit: 32, oomKilled: false })
        yield* docker.removeTaskContainers(id)
      })
  )
})

layer(Docker.layerAt("/nonexistent/docker.sock"), { excludeTestServices: true })("Docker (no engine)", (it) => {
  it.effect("says the engine is not reachable, naming the socket", () =>
    Effect.gen(function* () {
      const e = yield* (yield* Docker).ping.pipe(Effect.flip)
      assert.strictEqual(e._tag, "DockerUnavailable")
      assert.match(e.message, /^Docker engine not reachable at unix:\/\/\/nonexistent\/docker\.sock: /)
      const e2 = yield* (yield* Docker).listTaskContainers("x").pipe(Effect.flip)
      assert.strictEqual(e2._tag, "DockerUnavailable")
    })
  )
})
