import * as NodeServices from "@effect/platform-node/NodeServices"
import { Layer } from "effect"
import { storeLayer } from "../../src/cli/queueUrl.js"
import { TaskqConfig } from "../../src/support/config.js"
import { QueuePaths } from "../../src/support/paths.js"
import { type TaskRecord, TaskId } from "../../src/core/task.js"
import type { ErrorReport } from "../../src/store/ErrorStore.js"

/** The live store over a real queue folder: the CLI's own store layer (JSONL unless a queue URL is set). */
export const storeAt = (root: string) =>
  storeLayer.pipe(
    Layer.provideMerge(QueuePaths.layer(root)),
    Layer.provideMerge(TaskqConfig.layer),
    Layer.provideMerge(NodeServices.layer)
  )

export const sampleRecord = (id: string, root: string, patch: Partial<TaskRecord> = {}): TaskRecord => ({
  id: TaskId.make(id),
  repo: "/repo",
  base: "main",
  branch: `taskq/${id}`,
  worktree_path: `${root}/worktrees/${id}`,
  status: "todo",
  attempt: 1,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  task_file: `${root}/tasks/${id}.md`,
  ...patch
})

export const sampleReport = (id: string, patch: Partial<ErrorReport> = {}): ErrorReport => ({
  task_id: id,
  attempt: 1,
  stage: "execute",
  exit_code: 3,
  stdout: "o",
  stderr: "e",
  message: "m",
  created_at: "2026-01-01T00:00:00.000Z",
  ...patch
})
