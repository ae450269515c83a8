// Which uid:gid a task container runs as.
import { assert, describe, it } from "@effect/vitest"
import { containerUser } from "../../src/support/user.js"

describe("containerUser", () => {
  it("is the invoking user, or the repository's owner when taskq runs as root", () => {
    const alice = { uid: 1001, gid: 1001 }
    const bob = { uid: 1002, gid: 100 }
    assert.deepStrictEqual(containerUser(bob, alice), bob)
    assert.deepStrictEqual(containerUser({ uid: 0, gid: 0 }, alice), alice)
    // a root-owned repository run by root: uid 0, with every capability dropped (README "Security model")
    assert.deepStrictEqual(containerUser({ uid: 0, gid: 0 }, { uid: 0, gid: 0 }), { uid: 0, gid: 0 })
  })
})
