import { afterEach, describe, expect, it } from "vitest";
import { bootstrapSource } from "../src/rlm/bootstrap.js";
import { type HostHandler, Sandbox, type SandboxLimits } from "../src/rlm/sandbox.js";

// Escape attempts against the sandbox rlm blocks run code in, each its own test. They run the
// real thing: QuickJS in WebAssembly in a worker thread, with the real guest prelude.

const limits: SandboxLimits = { memoryBytes: 32 * 1024 * 1024, stackBytes: 256 * 1024, cpuMsPerCell: 1_000, outputChars: 20_000 };
const open: Sandbox[] = [];

async function sandbox(host: HostHandler = async () => ({ value: "host answer" }), custom: Partial<SandboxLimits> = {}, seed = 7, test: { interrupts?: boolean } = {}): Promise<Sandbox> {
  const s = await Sandbox.open({ ...limits, ...custom }, bootstrapSource(seed), host, test);
  open.push(s);
  return s;
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

describe("the rlm sandbox refuses escapes", () => {
  it("has no process", async () => {
    const s = await sandbox();
    const ran = await s.run("print(typeof process, typeof globalThis.process, typeof this.process); process.exit(1)", 1);
    expect(ran.output).toBe("undefined undefined undefined\n");
    expect(ran.error).toMatchObject({ name: "ReferenceError", message: "'process' is not defined" });
    expect((await s.run("print('still alive')", 2)).output).toBe("still alive\n");
  });

  it("has no require, module or exports", async () => {
    const s = await sandbox();
    const ran = await s.run("print(typeof require, typeof module, typeof exports, typeof __dirname); require('fs')", 1);
    expect(ran.output).toBe("undefined undefined undefined undefined\n");
    expect(ran.error).toMatchObject({ name: "ReferenceError", message: "'require' is not defined" });
  });

  it("refuses import() of Node modules and of QuickJS's own std and os", async () => {
    const s = await sandbox();
    const ran = await s.run(
      `for (const name of ["fs", "node:child_process", "std", "os", "./x.js"]) import(name).then(() => print("loaded " + name), (e) => print("refused " + name + ": " + e.name));`,
      1,
    );
    expect(ran.output.trim().split("\n")).toEqual(["refused fs: ReferenceError", "refused node:child_process: ReferenceError", "refused std: ReferenceError", "refused os: ReferenceError", "refused ./x.js: ReferenceError"]);
    const stat = await s.run("import * as fs from 'fs'", 2);
    expect(stat.error).toMatchObject({ name: "ReferenceError", message: "could not load module 'fs'" });
  });

  it("keeps globalThis to the sandbox's own: no host bindings to find, not even the raw host bridge", async () => {
    const s = await sandbox();
    const ran = await s.run(
      `const names = Object.getOwnPropertyNames(globalThis);
       print(names.filter(n => /^__|process|require|^Buffer$|setTimeout|setImmediate|fetch|WebAssembly|Atomics|Worker/.test(n)).join(",") || "none");
       print(Function("return this")() === globalThis, (0, eval)("this") === globalThis, typeof globalThis.__host, typeof globalThis.__print);
       print(typeof Object.getPrototypeOf(globalThis).process);`,
      1,
    );
    expect(ran.output).toBe("none\ntrue true undefined undefined\nundefined\n");
  });

  it("leaves host objects alone when the guest pollutes prototypes, and host JSON parsing cannot be polluted", async () => {
    const received: unknown[] = [];
    const s = await sandbox(async (_name, args) => {
      received.push(args);
      return { value: { ok: true } };
    });
    const ran = await s.run(
      `Object.prototype.polluted = "yes"; Array.prototype.push = () => 0; JSON.parse = () => ({ hacked: true });
       Object.defineProperty(Object.prototype, "then", { get() { return () => print("host called then") } });
       const r = llm_query("x", JSON.parse('{"__proto__": {"polluted": "host"}, "constructor": {"prototype": {"polluted": "host"}}}'));
       print(JSON.stringify(r));
       llm_query("y", { "__proto__": { "polluted": "host" } });`,
      1,
    );
    expect(ran.error).toBeUndefined();
    // The host's objects are untouched: no polluted keys, no then, arrays push.
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(({} as Record<string, unknown>)["then"]).toBeUndefined();
    const list: number[] = [];
    list.push(1);
    expect(list).toEqual([1]);
    // What arrived is plain data parsed by the host (a "__proto__" key stays an own property).
    for (const args of received) expect(Object.getPrototypeOf(args)).toBe(Array.prototype);
    expect(Object.getPrototypeOf((received[1] as unknown[])[1])).toBe(Object.prototype);
  });

  it("returns the sandbox's own global from constructor.constructor('return this')()", async () => {
    const s = await sandbox();
    const ran = await s.run(
      `const g = constructor.constructor("return this")();
       print(g === globalThis, typeof g.process, typeof g.require);
       const viaError = new Error().constructor.constructor("return typeof process")();
       const viaHost = llm_query.constructor("return this")();
       print(viaError, viaHost === globalThis);
       (function () {}).constructor("return process")();`,
      1,
    );
    expect(ran.output).toBe("true undefined undefined\nundefined true\n");
    expect(ran.error).toMatchObject({ name: "ReferenceError", message: "'process' is not defined" });
  });

  it("has no fetch, XMLHttpRequest, WebSocket or file access", async () => {
    const s = await sandbox();
    const ran = await s.run(`print([typeof fetch, typeof XMLHttpRequest, typeof WebSocket, typeof std, typeof os, typeof Deno, typeof Bun].join(" ")); fetch("http://127.0.0.1/")`, 1);
    expect(ran.output).toBe("undefined undefined undefined undefined undefined undefined undefined\n");
    expect(ran.error).toMatchObject({ name: "ReferenceError", message: "'fetch' is not defined" });
  });

  it("stops an infinite loop at the cell's CPU limit, while the host's event loop keeps running", async () => {
    const s = await sandbox(undefined, { cpuMsPerCell: 300 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const ran = await s.run("let i = 0; while (true) { i++ }", 1);
    clearInterval(timer);
    expect(ran.interrupted).toBe("cpu");
    expect(ran.cpuMs).toBeGreaterThanOrEqual(300);
    // The loop ran in the worker: the host's timers fired meanwhile.
    expect(ticks).toBeGreaterThan(3);
    // An uncatchable interrupt: try/finally in the guest does not keep it going.
    const again = await s.run("try { while (true) {} } catch (e) { print('caught') } finally { print('finally') }", 2);
    expect(again.interrupted).toBe("cpu");
    expect(again.output).toBe("");
    expect((await s.run("print(i > 0)", 3)).output).toBe("true\n");
  });

  it("bounds a memory bomb by the sandbox's fixed memory, not the host's", async () => {
    const s = await sandbox(undefined, { memoryBytes: 16 * 1024 * 1024, cpuMsPerCell: 10_000 });
    const before = process.memoryUsage().rss;
    const ran = await s.run("const hog = []; while (true) hog.push('x'.repeat(1 << 20) + hog.length);", 1);
    expect(ran.error).toMatchObject({ name: "InternalError", message: "out of memory" });
    // Gigabytes were asked for; the host grew by far less than that (the 16 MiB memory, plus noise).
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    const typed = await s.run("const big = new ArrayBuffer(64 * 1024 * 1024)", 2);
    expect(typed.error?.message).toMatch(/out of memory|invalid array buffer length/);
  });

  it("turns deep recursion into a stack overflow inside the sandbox, and the sandbox stays usable", async () => {
    const s = await sandbox();
    const ran = await s.run("function down(n) { return down(n + 1) + 1 } down(0)", 1);
    expect(ran.error).toMatchObject({ name: "InternalError", message: "stack overflow" });
    const mutual = await s.run("const a = (n) => b(n + 1); const b = (n) => a(n + 1); try { a(0) } catch (e) { print(e.message) }", 2);
    expect(mutual.output).toBe("stack overflow\n");
    expect((await s.run("print(1 + 1)", 3)).output).toBe("2\n");
  });

  it("keeps at most outputChars of a huge output and counts the rest", async () => {
    const s = await sandbox(undefined, { outputChars: 10_000, cpuMsPerCell: 5_000 });
    const ran = await s.run("const line = 'y'.repeat(1000); for (let i = 0; i < 20000; i++) print(line);", 1);
    expect(ran.error).toBeUndefined();
    expect(ran.output.length).toBe(10_000);
    expect(ran.output.length + ran.droppedChars).toBe(20_000 * 1001);
    const one = await s.run("print('z'.repeat(5_000_000))", 2);
    expect(one.output.length).toBe(10_000);
    expect(one.droppedChars).toBe(5_000_001 - 10_000);
  });

  it("carries exceptions across the boundary as descriptions only, both ways", async () => {
    const s = await sandbox(async () => {
      throw new Error("the host failed here");
    });
    // Guest → host: a thrown object with a hostile getter and a Proxy are described inside the sandbox.
    const hostile = await s.run(`throw { get message() { while (true) {} } }`, 1);
    expect(hostile.interrupted).toBe("cpu");
    const proxy = await s.run(`throw new Proxy({}, { get() { throw new Error("trap") }, ownKeys() { throw new Error("trap") } })`, 2);
    expect(proxy.error).toEqual({ name: "Error", message: "the cell threw a value that could not be described" });
    const custom = await s.run("class Mine extends Error { constructor() { super('mine'); this.name = 'Mine' } } throw new Mine()", 3);
    expect(custom.error).toMatchObject({ name: "Mine", message: "mine" });
    // Host → guest: a host error arrives as a new guest Error with the message; no host stack, no host object.
    const back = await s.run(`try { llm_query("q") } catch (e) { print(e instanceof Error, e.message, /node:|\\.ts|\\.js:/.test(e.stack.replace(/cell-\\d+\\.js|bootstrap\\.js/g, ""))) }`, 4);
    expect(back.output).toBe("true the host failed here false\n");
  });

  it("serialises host calls: a host function called from inside another's argument runs before it, never inside it", async () => {
    let inside = 0;
    let most = 0;
    const order: string[] = [];
    const s = await sandbox(async (_name, args) => {
      inside++;
      most = Math.max(most, inside);
      order.push(String(args[0]));
      await new Promise((r) => setTimeout(r, 5));
      inside--;
      return { value: `answer to ${String(args[0])}` };
    });
    const ran = await s.run(
      `const sneaky = { toJSON() { return llm_query("inner") } };
       const outer = llm_query("outer", sneaky);
       const getter = { get data() { return llm_batch(["in-batch"]) } };
       const viaGetter = llm_query("second", getter);
       print(outer, "|", viaGetter);`,
      1,
    );
    expect(ran.error).toBeUndefined();
    expect(order).toEqual(["inner", "outer", "in-batch", "second"]);
    expect(most).toBe(1);
    expect(ran.output).toBe("answer to outer | answer to second\n");
  });

  it("ends a cell when the host stops it (a budget that ran out), whatever the guest catches", async () => {
    const s = await sandbox(async () => ({ fatal: "tokens_exceeded: the budget is spent" }));
    const ran = await s.run(`try { llm_query("q") } catch (e) { print("caught " + e.message) } while (true) {}`, 1);
    expect(ran.interrupted).toBe("stopped");
    expect(ran.output).toBe("caught tokens_exceeded: the budget is spent\n");
    // Every later host call is refused too.
    const later = await s.run(`try { llm_query("again") } catch (e) { print(e.message) }`, 2);
    expect(later.interrupted).toBe("stopped");
  });

  it("is terminated by the host when closed in the middle of a cell", async () => {
    const s = await sandbox(undefined, { cpuMsPerCell: 60_000 });
    const running = s.run("while (true) {}", 1);
    await new Promise((r) => setTimeout(r, 100));
    await s.close("stopped by the test");
    expect(await running).toMatchObject({ interrupted: "crashed", error: { message: "stopped by the test" } });
    expect(s.alive).toBe(false);
  });

  it("terminates a cell that the interrupt handler does not stop, past the watchdog's grace", async () => {
    // With no interrupt handler (as for a long native operation), only the host's watchdog is left.
    const s = await sandbox(undefined, { cpuMsPerCell: 100, watchdogGraceMs: 300 }, 7, { interrupts: false });
    const started = Date.now();
    const ran = await s.run("while (true) {}", 1);
    expect(ran).toMatchObject({ interrupted: "cpu", error: { message: "the cell ran past its CPU limit of 100 ms and the host terminated the sandbox" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(s.alive).toBe(false);
  });

  it("seeds Math.random: the same seed gives the same numbers (a replayed cell sees what the first run saw)", async () => {
    const code = "print([1, 2, 3].map(() => Math.random().toFixed(12)).join(' '))";
    const a = (await (await sandbox(undefined, {}, 42)).run(code, 1)).output;
    const b = (await (await sandbox(undefined, {}, 42)).run(code, 1)).output;
    const c = (await (await sandbox(undefined, {}, 43)).run(code, 1)).output;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.split(" ").map(Number).every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
