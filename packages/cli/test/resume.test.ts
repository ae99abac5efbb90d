import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./capture.js";

const tmp = mkdtempSync(join(tmpdir(), "blockwork-resume-cli-"));

describe("blockwork run / resume with a person in the loop", () => {
  it("exits 3 when the run waits for a person, shows what it waits for, and goes on when resumed", async () => {
    const store = join(tmp, "refunds.sqlite");
    const ran = await cli(["run", "examples/refund-approval/refund.graph.ts", "--input", "@examples/refund-approval/request.json", "--store", store]);
    expect(ran.code).toBe(3);
    expect(ran.out).toBe("");
    expect(ran.err).toMatch(/suspended approve: \{"question":"Refund 240 EUR on ORD-1042 to Ada Lovelace\? \(limit 100 EUR\)"/);
    expect(ran.err).toMatch(/run [0-9a-f-]{36} is suspended: a block waits to be resumed\.\n {2}approve#1 {2}\{"question"/);
    const id = /run ([0-9a-f-]{36}) is suspended/.exec(ran.err)?.[1] as string;
    // The hint works when pasted: --store, and data that satisfies the resume schema it shows.
    expect(ran.err).toContain(`Resume with: blockwork resume ${id} --block approve#1 --data '{"approved":false,"reason":"x"}' --store ${store}\n`);
    expect(ran.err).toContain(`  its resume schema: {"type":"object","properties":{"approved":{"type":"boolean"},"reason":{"type":"string","minLength":1}},"required":["approved","reason"]}\n`);

    const list = await cli(["runs", "list", "--store", store, "--status", "suspended"]);
    expect(list.out).toMatch(new RegExp(`${id}\\s+refund-approval\\s+suspended`));
    const show = await cli(["runs", "show", id, "--store", store]);
    expect(show.out).toMatch(/suspended {2}approve {2}\{"question"/);
    expect(show.out).toMatch(/waiting for:\n {2}approve#1 {2}\{"question"/);
    expect(show.out).toContain(`resume with: blockwork resume ${id} --block approve#1 --data '{"approved":false,"reason":"x"}' --store ${store}\n`);
    // A prefix of the id is enough.
    expect((await cli(["runs", "show", id.slice(0, 8), "--store", store])).out).toContain(`run      ${id}\n`);

    // Bad data is refused with the schema's issues; nothing is written.
    const bad = await cli(["resume", id, "--block", "approve", "--data", '{"approved": "yes"}', "--store", store]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cannot resume run .*: the data does not satisfy the resume schema of block approve: approved: Invalid input: expected boolean, received string; reason: Invalid input/);
    const wrong = await cli(["resume", id, "--block", "settle", "--data", "{}", "--store", store]);
    expect(wrong.err).toMatch(/has no suspended block "settle" \(suspended: approve#1\)/);
    const noData = await cli(["resume", id, "--block", "approve", "--store", store]);
    expect(noData.err).toMatch(/--block approve needs --data/);

    const answer = join(tmp, "answer.json");
    writeFileSync(answer, JSON.stringify({ approved: true, reason: "loyal customer" }));
    const resumed = await cli(["resume", id, "--block", "approve", "--data", `@${answer}`, "--store", store]);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toEqual({ order: "ORD-1042", refunded: 240, decision: { approved: true, by: "human", reason: "loyal customer" } });
    expect(resumed.err).toMatch(/resumed {3}approve/);
    const after = await cli(["runs", "show", id, "--store", store]);
    expect(after.out).toMatch(/resumed {4}approve {2}with \{"approved":true,"reason":"loyal customer"\}/);
    expect(after.out).toMatch(/^status {3}completed/m);
  });
});
