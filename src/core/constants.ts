/** Names and versions taskq is built around. */

/** The worker image `build-image` builds and `run` uses. */
export const DEFAULT_IMAGE = "sisifo/opencode:latest"
/** The Dockerfile's default base: a local import, so builds need no registry. */
export const DEFAULT_BASE_IMAGE = "local/debian:bookworm"
/** The OpenCode release inside the worker image. */
export const OPENCODE_VERSION = "1.18.33"
/** The port `opencode serve` listens on inside a container. */
export const AGENT_PORT = 4096
