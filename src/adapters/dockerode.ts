/** dockerode itself, behind Docker.ts's dynamic import: only commands that reach the engine load it. */
import Dockerode from "dockerode"

export { Dockerode }
