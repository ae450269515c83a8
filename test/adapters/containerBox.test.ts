// The box around a task's agent, as the engine is asked for it: the whole create request of a task
// container, so weakening any flag (a capability kept, no-new-privileges gone, a port on 0.0.0.0, swap
// beyond the limit, a secret in the environment, a writable env file) fails here.
import { assert, describe, it } from "@effect/vitest"
import {
  containerLimits,
  createOptions,
  isolatedNetworkOptions,
  taskContainerSpec,
  whyNotIsolated
} from "../../src/adapters/containerBox.js"
import { sampleRecord } from "../helpers/layers.js"

const GiB = 1024 * 1024 * 1024
const task = sampleRecord("T-1", "/q", { status: "in_progress", attempt: 2 })
const dirs = { attemptDir: "/a", configDir: "/a/config", dataDir: "/a/data" }
const gitMounts = [
  { host: "/q/git/T-1", container: "/q/git/T-1" },
  { host: "/q/git/T-1.gitfile", container: "/q/worktrees/T-1/.git", readOnly: true },
  { host: "/repo/.git/objects", container: "/repo/.git/objects", readOnly: true }
]

describe("a task container's create request", () => {
  it("is the whole box: user, no caps, no-new-privileges, init, mounts, env file, port, network, limits", () => {
    const spec = taskContainerSpec({
      task,
      image: "sisifo/opencode:latest",
      user: { uid: 1000, gid: 1001 },
      gitMounts,
      dirs,
      env: {},
      envFile: "/a/container.env",
      network: "taskq-isolated",
      limits: containerLimits({ nanoCpus: 1.5e9 })
    })
    assert.deepStrictEqual(createOptions(spec), {
      name: "task-T-1-20260101T000000Z",
      Image: "sisifo/opencode:latest",
      Labels: { "taskq.task": "T-1", "taskq.attempt": "2" },
      User: "1000:1001",
      Env: ["OPENCODE_PORT=4096", "TASKQ_ENV_FILE=/run/taskq/container.env"],
      WorkingDir: "/q/worktrees/T-1",
      ExposedPorts: { "4096/tcp": {} },
      HostConfig: {
        NetworkMode: "taskq-isolated",
        Init: true,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Binds: [
          "/q/worktrees/T-1:/q/worktrees/T-1",
          "/q/git/T-1:/q/git/T-1",
          "/q/git/T-1.gitfile:/q/worktrees/T-1/.git:ro",
          "/repo/.git/objects:/repo/.git/objects:ro",
          "/a/config:/home/agent/.config/opencode",
          "/a/data:/home/agent/.local/share/opencode",
          "/a/container.env:/run/taskq/container.env:ro"
        ],
        PortBindings: { "4096/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
        ExtraHosts: ["host.docker.internal:host-gateway"],
        Memory: 4 * GiB,
        MemorySwap: 4 * GiB,
        NanoCpus: 1.5e9,
        PidsLimit: 2048
      }
    })
  })

  it("keeps every hardening flag whatever the spec: an override of the command, no limits, no network", () => {
    const options = createOptions({
      name: "probe",
      image: "img",
      labels: {},
      user: "0:0",
      env: { A: "b" },
      binds: [],
      entrypoint: ["sleep"],
      cmd: ["1"],
      containerPort: 80
    })
    assert.deepStrictEqual(options, {
      name: "probe",
      Image: "img",
      Labels: {},
      User: "0:0",
      Env: ["A=b"],
      Entrypoint: ["sleep"],
      Cmd: ["1"],
      ExposedPorts: { "80/tcp": {} },
      HostConfig: {
        Init: true,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Binds: [],
        PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
        ExtraHosts: ["host.docker.internal:host-gateway"]
      }
    })
  })

  it("without an env file: no TASKQ_ENV_FILE, no mount; 0 limits are sent as unlimited", () => {
    const spec = taskContainerSpec({
      task,
      image: "img",
      user: { uid: 1000, gid: 1000 },
      gitMounts: [],
      dirs,
      env: {},
      limits: containerLimits({ memoryBytes: 0, pidsLimit: 0, nanoCpus: 0 })
    })
    const options = createOptions(spec)
    assert.deepStrictEqual(options.Env, ["OPENCODE_PORT=4096"])
    assert.notInclude(options.HostConfig?.Binds?.join(" ") ?? "", "container.env")
    assert.deepInclude(options.HostConfig, { Memory: 0, MemorySwap: 0, PidsLimit: 0 })
    assert.notProperty(options.HostConfig, "NanoCpus")
  })
})

describe("container limits", () => {
  it("default to 4 GiB and 2048 processes; 0 means unlimited; cpus only when given", () => {
    assert.deepStrictEqual(containerLimits(), { memoryBytes: 4 * GiB, pidsLimit: 2048 })
    assert.deepStrictEqual(containerLimits({ memoryBytes: 0, pidsLimit: 0 }), { memoryBytes: 0, pidsLimit: 0 })
    assert.deepStrictEqual(containerLimits({ memoryBytes: 64 * 1024 * 1024, nanoCpus: 1.5e9 }), {
      memoryBytes: 64 * 1024 * 1024,
      pidsLimit: 2048,
      nanoCpus: 1.5e9
    })
  })
})

describe("the isolated network", () => {
  it("is a labelled bridge with inter-container traffic off, on a named host interface", () => {
    assert.deepStrictEqual(isolatedNetworkOptions("taskq-isolated", "taskq0"), {
      Name: "taskq-isolated",
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: { "taskq.network": "isolated" },
      Options: { "com.docker.network.bridge.enable_icc": "false", "com.docker.network.bridge.name": "taskq0" }
    })
  })
  it("an existing network is used only if it is a bridge with that option off", () => {
    const icc = "com.docker.network.bridge.enable_icc"
    assert.isUndefined(whyNotIsolated("n", { Driver: "bridge", Options: { [icc]: "false" } }))
    assert.strictEqual(
      whyNotIsolated("n", { Driver: "bridge", Options: {} }),
      `network n exists but is not a bridge with ${icc}=false, so tasks could reach each other; remove it (docker network rm n) and taskq creates it again`
    )
    assert.isString(whyNotIsolated("n", { Driver: "bridge", Options: { [icc]: "true" } }))
    assert.isString(whyNotIsolated("n", { Driver: "overlay", Options: { [icc]: "false" } }))
  })
})
