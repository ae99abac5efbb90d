import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./capture.js";

const tmp = mkdtempSync(join(tmpdir(), "blockwork-upgrade-cli-"));
const V2 = "packages/cli/test/fixtures/refund-v2.graph.ts";

async function suspendedRun(store: string): Promise<string> {
  const ran = await cli(["run", "examples/refund-approval/refund.graph.ts", "--input", "@examples/refund-approval/request.json", "--store", store, "--quiet"]);
  expect(ran.code).toBe(3);
  return /run ([0-9a-f-]{36}) is suspended/.exec(ran.err)?.[1] as string;
}

describe("blockwork upgrade", () => {
  it("moves a suspended run to a new version, which then finishes it", async () => {
    const store = join(tmp, "v2.sqlite");
    const id = await suspendedRun(store);
    const moved = await cli(["upgrade", id, V2, "--export", "refundV2", "--store", store]);
    expect(moved.code).toBe(0);
    expect(moved.out).toMatch(new RegExp(`run ${id}: moved from version [0-9a-f]{16} to [0-9a-f]{16} at approve`));

    const resumed = await cli(["resume", id, "--block", "approve", "--data", '{"approved": true, "reason": "ok"}', "--store", store, "--quiet"]);
    expect(resumed.code).toBe(0);
    // settle ran on v2: the output has the ledger field v1 did not have.
    expect(JSON.parse(resumed.out)).toMatchObject({ refunded: 240, ledger: "booked ORD-1042" });
    const show = await cli(["runs", "show", id, "--store", store]);
    expect(show.out).toMatch(/upgraded/);
  });

  it("refuses a move the run's data does not allow, saying why; a migration makes it", async () => {
    const store = join(tmp, "v3.sqlite");
    const id = await suspendedRun(store);
    const refused = await cli(["upgrade", id, V2, "--export", "refundV3", "--store", store]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cannot be moved to the new version:/);
    expect(refused.err).toMatch(/channel/);

    const json = await cli(["upgrade", id, V2, "--export", "refundV3", "--migration", `${V2}#toV3`, "--store", store, "--format", "json", "--resume"]);
    // --resume runs it on until it waits again: the approval is still pending (exit 3).
    expect(json.code).toBe(3);
    const result = JSON.parse(json.out.slice(0, json.out.lastIndexOf("}") + 1)) as { upgraded: boolean; position: string[] };
    expect(result).toMatchObject({ upgraded: true, position: ["approve"] });

    const badMigration = await cli(["upgrade", id, V2, "--export", "refundV2", "--migration", `${V2}#refundV2`, "--store", store]);
    expect(badMigration.code).toBe(2);
    expect(badMigration.err).toMatch(/does not export a migration named refundV2/);
    const missing = await cli(["upgrade", "no-such-run", V2, "--export", "refundV2", "--store", store]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/no-such-run/);
  });
});
