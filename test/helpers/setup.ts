// Runs before each test file: whatever temp dirs the file made are removed once it is done.
import { afterAll } from "vitest"
import { removeTempDirs } from "./fixtures.js"

afterAll(() => removeTempDirs())
