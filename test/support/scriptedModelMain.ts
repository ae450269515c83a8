// Runs the scripted model as a standalone process (the demo uses this): MOCK_HOST, MOCK_PORT.
import { startScriptedModel } from "./scriptedModel.js"

const model = await startScriptedModel({
  host: process.env.MOCK_HOST ?? "127.0.0.1",
  port: Number(process.env.MOCK_PORT ?? 0)
})
console.log(model.url)
const stop = () => void model.close().then(() => process.exit(0))
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
