import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/globalSetup.ts"],
    setupFiles: ["test/helpers/setup.ts"],
    // a hang becomes a failure that names the test (e2e tests set their own, longer limits)
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000
  }
})
