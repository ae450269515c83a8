// The box around each task, attacked for real (issue 8): real containers, the real OpenCode, the
// scripted model. Every check here has a counterpart that shows the probe can see a failure.
import { assert, describe, it } from "vitest"
import { createHash, randomBytes } from "node:crypto"
import { execFileSync } from "node:child_process"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { scripted } from "../helpers/agentRuntime.js"
import { inspectField, removeContainers, uid, useRealRuntime } from "../helpers/e2e.js"
import { DEFAULT_IMAGE } from "../../src/core/constants.js"

const { fresh } = useRealRuntime()
const bash = (command: string) => ({ tool: "bash", args: { command, description: "probe" } })
const inspect = (container: string) => execFileSync("docker", ["inspect", container], { encoding: "utf8" })
const read = (file: string) => readFileSync(file, "utf8").trim()

describe("the task box (real runtime)", () => {
  it("server password, limits, network and secrets: nothing leaks, nothing answers without the password", async () => {
    const s = fresh()
    const secret = `sk-ant-netbox-${randomBytes(12).toString("hex")}`
    const other = `aws-${randomBytes(12).toString("hex")}`
    const env = { ANTHROPIC_API_KEY: secret, AWS_SECRET_ACCESS_KEY: other }
    const id = uid("box")
    await s.add(
      id,
      scripted("Report what reached you", [
        bash(
          `printf %s "$ANTHROPIC_API_KEY" | sha256sum | cut -c1-64 > key.sha; echo "aws=\${AWS_SECRET_ACCESS_KEY:-unset}" > aws.txt; printf %s "$OPENCODE_SERVER_PASSWORD" | wc -c > pw.len`
        ),
        { text: "reported" }
      ])
    )
    const failing = uid("boxfail")
    await s.add(failing, scripted("Fail", [{ httpError: 400, message: "refused by the provider" }]))
    const run = await s.taskqWith(env, "run", "--follow", "--keep-running")
    assert.strictEqual(run.code, 1, run.stderr)
    const r = s.record(id)
    assert.strictEqual(r.status, "review", run.stderr)
    assert.strictEqual(s.record(failing).status, "failed")
    const wt = r.worktree_path as string
    const attemptDir = r.opencode_attempt_dir as string
    const password = read(join(attemptDir, "server-password"))

    // the provider key reached the agent (through the env file), the unlisted one did not
    assert.strictEqual(read(join(wt, "key.sha")), createHash("sha256").update(secret).digest("hex"))
    assert.strictEqual(read(join(wt, "aws.txt")), "aws=unset")
    assert.strictEqual(read(join(wt, "pw.len")), String(password.length))
    for (const f of ["server-password", "container.env"])
      assert.strictEqual(statSync(join(attemptDir, f)).mode & 0o777, 0o600, f)

    // the server answers only with the attempt's password
    const health = (auth?: string) =>
      fetch(`http://127.0.0.1:${r.port}/global/health`, {
        headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString("base64")}` } : {}
      }).then((res) => res.status)
    assert.strictEqual(await health(), 401)
    assert.strictEqual(await health("opencode:wrong"), 401)
    assert.strictEqual(await health(`opencode:${password}`), 200)

    // docker inspect: limits by default, the isolated network, no secret
    const container = r.container as string
    const info = inspect(container)
    const facts = inspectField(
      container,
      "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NetworkMode}}"
    )
    assert.strictEqual(facts, `${4096 * 1024 * 1024} 2048 taskq-isolated`)
    const status = await s.taskqWith(env, "status", "--json")
    const seen = {
      "docker inspect": info,
      "tasks.jsonl": readFileSync(join(s.queue, "tasks.jsonl"), "utf8"),
      "error report": readFileSync(join(s.queue, "errors", `${failing}.json`), "utf8"),
      "status --json": status.stdout + status.stderr,
      "taskq run --follow output": run.stdout + run.stderr
    }
    // the probe sees what it looks for: the report has the provider's refusal, the output the agent's logs
    assert.include(seen["error report"], "refused by the provider")
    assert.include(seen["taskq run --follow output"], `[${id}]`)
    for (const [where, text] of Object.entries(seen))
      for (const [what, value] of Object.entries({ secret, other, password }))
        assert.notInclude(text, value, `${what} shows in ${where}`)
  }, 240_000)

  it("one task's agent cannot open a connection to another task's server (and can on --network bridge)", async () => {
    const probe = async (network: string) => {
      const s = fresh()
      const target = uid("target")
      await s.add(target, scripted("Wait", [{ text: "waiting" }]))
      const first = await s.taskq("run", "--id", target, "--network", network, "--keep-running")
      assert.strictEqual(first.code, 0, first.stderr)
      const ip = inspectField(
        s.record(target).container as string,
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
      )
      assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/)
      const attacker = uid("attacker")
      await s.add(
        attacker,
        scripted("Reach the other task", [
          bash(`if timeout 5 bash -c 'exec 3<>/dev/tcp/${ip}/4096'; then echo open; else echo blocked; fi > reach.txt`),
          { text: "tried" }
        ])
      )
      const second = await s.taskq("run", "--id", attacker, "--network", network)
      assert.strictEqual(second.code, 0, second.stderr)
      return read(join(s.record(attacker).worktree_path as string, "reach.txt"))
    }
    assert.strictEqual(await probe("isolated"), "blocked")
    assert.strictEqual(await probe("bridge"), "open")
  }, 300_000)

  it("a worker image that ignores the env file is refused: its server would answer anyone", async () => {
    const image = `taskq-test/no-env-file:${randomBytes(4).toString("hex")}`
    execFileSync("docker", ["build", "-q", "-t", image, "-"], {
      input: `FROM ${DEFAULT_IMAGE}\nENTRYPOINT ["opencode", "serve", "--port", "4096", "--hostname", "0.0.0.0"]\n`
    })
    try {
      const s = fresh()
      const id = uid("oldimage")
      await s.add(id, scripted("Nothing", [{ text: "ok" }]))
      const run = await s.taskq("run", "--image", image)
      assert.strictEqual(run.code, 1, run.stderr)
      const r = s.record(id)
      assert.strictEqual(r.status, "failed")
      assert.include(r.error as string, "answers without its password")
      removeContainers([id])
    } finally {
      execFileSync("docker", ["rmi", "-f", image], { stdio: "ignore" })
    }
  }, 120_000)

  it("an agent that runs out of memory is reported as such, with the limit", async () => {
    const s = fresh()
    const id = uid("oom")
    // the agent makes its own server the OOM killer's first choice, then allocates past the limit
    await s.add(
      id,
      scripted("Eat memory", [
        bash(
          `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = opencode ] && echo 1000 > $p/oom_score_adj; done; head -c 2000m /dev/zero | tail`
        ),
        { text: "survived" }
      ])
    )
    const run = await s.taskq("run", "--memory-mb", "512")
    assert.strictEqual(run.code, 1, run.stdout)
    const r = s.record(id)
    assert.strictEqual(r.status, "failed")
    assert.include(r.error as string, "out of memory (limit 512 MiB")
    assert.include(read(join(s.queue, "errors", `${id}.json`)), "out of memory (limit 512 MiB")
    assert.strictEqual(inspectField(r.container as string, "{{.State.OOMKilled}}"), "true")
  }, 240_000)
})
