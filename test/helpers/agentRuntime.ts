// Real runtime pieces for tests: the worker image, the scripted model on the Docker bridge, and the
// model config the agent uses to reach it.
import { execFileSync } from "node:child_process"
import { networkInterfaces } from "node:os"
import { BIN } from "./fixtures.js"
import { DEFAULT_IMAGE } from "../../src/core/constants.js"
import { startScriptedModel } from "../support/scriptedModel.js"

/** Builds the worker image (offline, cached) unless it exists. */
export const ensureWorkerImage = (): void => {
  try {
    execFileSync("docker", ["image", "inspect", DEFAULT_IMAGE], { stdio: "ignore" })
  } catch {
    execFileSync(process.execPath, [BIN, "build-image", "--no-pull"], { stdio: "inherit" })
  }
}

/** The host's address on the default Docker bridge: containers reach the host there. */
export const bridgeAddress = (): string => {
  const docker0 = networkInterfaces().docker0?.find((a) => a.family === "IPv4")
  if (docker0) return docker0.address
  return (
    execFileSync("docker", ["network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"], {
      encoding: "utf8"
    }).trim() || "172.17.0.1"
  )
}

/** The scripted model, listening on the bridge so containers can call it. */
export const startBridgeModel = () => startScriptedModel({ host: bridgeAddress() })

/** An agent config template pointing OpenCode at the scripted model from inside a container. */
export const mockModelConfig = (port: number) => ({
  model: "mock/mock-model",
  small_model: "mock/mock-model",
  enabled_providers: ["mock"],
  lsp: false,
  formatter: false,
  provider: {
    mock: {
      npm: "@ai-sdk/openai-compatible",
      name: "Scripted model",
      options: { baseURL: `http://host.docker.internal:${port}/v1`, apiKey: "mock-key" },
      models: { "mock-model": { name: "Mock Model", tool_call: true, limit: { context: 128000, output: 4096 } } }
    }
  }
})

/** A prompt whose model replies follow `steps` (see scriptedModel.ts). */
export const scripted = (text: string, steps: ReadonlyArray<object>): string =>
  `${text}\nMOCK_SCRIPT: ${JSON.stringify(steps)}\n`
