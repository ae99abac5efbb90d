import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { WORKER_SOURCE } from "./worker-source.js";

/** The limits of one sandbox (one rlm block execution). */
export interface SandboxLimits {
  /** Bytes of the sandbox's WebAssembly memory: fixed, it cannot grow. */
  readonly memoryBytes: number;
  /** Bytes of QuickJS stack (deep recursion fails with a stack overflow inside the sandbox). */
  readonly stackBytes: number;
  /** Milliseconds the interpreter may run per cell, host calls not counted. */
  readonly cpuMsPerCell: number;
  /** Characters of printed output kept per cell (the rest is counted and dropped). */
  readonly outputChars: number;
  /**
   * How far past `cpuMsPerCell` a cell may run before the host terminates the worker (default
   * 2,000 ms). The interrupt handler stops ordinary code at the limit; a long native operation
   * (a sort, a split of a large string) is not interrupted until it returns.
   */
  readonly watchdogGraceMs?: number;
}

/** How one cell ended. */
export interface CellRun {
  /** What the cell printed (at most `outputChars`). */
  readonly output: string;
  /** Characters printed past `outputChars`. */
  readonly droppedChars: number;
  /** What the cell threw, described inside the sandbox. */
  readonly error?: { readonly name: string; readonly message: string; readonly stack?: string };
  /**
   * Set when the host stopped the cell: `cpu` (its CPU limit), `stopped` (a budget ran out in a
   * host call), `memory` (the sandbox's memory is exhausted), `crashed` (the worker died).
   */
  readonly interrupted?: "cpu" | "stopped" | "memory" | "crashed";
  /** The `answer` variable after the cell, as JSON text from inside the sandbox. */
  readonly answer?: string;
  /** Interpreter milliseconds of the cell (waiting for host calls not counted). */
  readonly cpuMs: number;
  /** Bytes the QuickJS heap uses after the cell. */
  readonly memoryBytes: number;
}

/** What a host function returns to the sandbox: a JSON value, an error to throw there, or a budget that ran out. */
export type HostReply = { readonly value: unknown } | { readonly error: string } | { readonly fatal: string };

/** Answers the sandbox's host calls. `args` come from JSON the sandbox wrote: plain data, never sandbox objects. */
export type HostHandler = (name: string, args: readonly unknown[]) => Promise<HostReply>;

const require = createRequire(import.meta.url);
/** A compiled WebAssembly module (Node's global `WebAssembly`; this package's types have no DOM lib). */
type WasmModule = object;
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } }).WebAssembly;
let compiled: Promise<WasmModule> | undefined;

/** The QuickJS WebAssembly module, compiled once per process and shared by every sandbox. */
function wasmModule(): Promise<WasmModule> {
  compiled ??= readFile(require.resolve("@jitl/quickjs-wasmfile-release-sync/wasm")).then((bytes) => wasm.compile(bytes));
  return compiled;
}

/** Grace on top of a cell's CPU limit before the host terminates the worker (the interrupt handler should have stopped it long before). */
const WATCHDOG_GRACE_MS = 2_000;

/** @internal Options for tests of the sandbox itself. */
export interface SandboxTestOptions {
  /** false: no interrupt handler in the worker, so only the host's watchdog can stop a cell. */
  readonly interrupts?: boolean;
}

/**
 * A QuickJS interpreter in its own worker thread and its own fixed-size WebAssembly memory: the
 * model's code runs there, with no access to Node (no `process`, `require`, `import`, `fetch`,
 * file system), and reaches the host only through the host functions, as JSON text. The CPU
 * limit per cell is enforced by QuickJS's interrupt handler and, as a last resort, by the host
 * terminating the worker; the memory limit by the size of the WebAssembly memory.
 */
export class Sandbox {
  private pending: { resolve: (run: CellRun) => void; started: number; hostMs: number; cpuMs: number } | undefined;
  private dead: string | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly replies: MessagePort,
    private readonly signal: Int32Array,
    private readonly host: HostHandler,
  ) {}

  /** Starts a sandbox and runs `bootstrap` in it (the guest-side prelude that defines the host functions). */
  static async open(limits: SandboxLimits, bootstrap: string, host: HostHandler, test: SandboxTestOptions = {}): Promise<Sandbox> {
    const module = await wasmModule();
    const channel = new MessageChannel();
    const shared = new SharedArrayBuffer(4);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { corePath: require.resolve("quickjs-emscripten-core"), variantPath: require.resolve("@jitl/quickjs-wasmfile-release-sync"), wasmModule: module, signal: shared, replies: channel.port2 },
      transferList: [channel.port2],
      // The worker's own JavaScript heap (not the sandbox's memory, which is the WebAssembly memory).
      resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    const sandbox = new Sandbox(worker, channel.port1, new Int32Array(shared), host);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: { type: string; message?: string }) => {
        if (message.type === "ready") {
          worker.off("message", onMessage);
          worker.off("error", reject);
          resolve();
        } else if (message.type === "crashed") reject(new Error(`the sandbox did not start: ${message.message}`));
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
      const pages = Math.ceil(limits.memoryBytes / 65_536);
      worker.postMessage({ type: "init", pages, stackBytes: limits.stackBytes, memoryLimitBytes: Math.floor(pages * 65_536 * 0.9), bootstrap, bootCpuMs: 5_000, interrupts: test.interrupts !== false });
    });
    worker.on("message", (message) => sandbox.onMessage(message));
    worker.on("error", (error) => sandbox.die(`the sandbox's worker failed: ${error.message}`, "crashed"));
    worker.on("exit", () => sandbox.die("the sandbox's worker exited", "crashed"));
    sandbox.limits = limits;
    return sandbox;
  }

  private limits: SandboxLimits | undefined;

  /** Whether the sandbox can still run cells. */
  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Runs one cell: a script at global scope (its top-level declarations stay for the next cells). */
  run(code: string, cell: number | string): Promise<CellRun> {
    if (this.dead !== undefined) return Promise.resolve({ output: "", droppedChars: 0, error: { name: "Error", message: this.dead }, interrupted: "crashed", cpuMs: 0, memoryBytes: 0 });
    if (this.pending !== undefined) throw new Error("a sandbox runs one cell at a time");
    const limits = this.limits as SandboxLimits;
    return new Promise((resolve) => {
      this.pending = { resolve, started: performance.now(), hostMs: 0, cpuMs: limits.cpuMsPerCell };
      this.watchdog = setInterval(() => this.watch(), 100);
      this.worker.postMessage({ type: "run", code, cell, cpuMs: limits.cpuMsPerCell, maxOutputChars: limits.outputChars });
    });
  }

  /** The last resort: a cell that ran far past its CPU limit without the interrupt handler stopping it. */
  private watch(): void {
    const p = this.pending;
    if (p === undefined || this.hostBusy) return;
    if (performance.now() - p.started - p.hostMs > p.cpuMs + (this.limits?.watchdogGraceMs ?? WATCHDOG_GRACE_MS)) this.die(`the cell ran past its CPU limit of ${p.cpuMs} ms and the host terminated the sandbox`, "cpu");
  }

  private hostBusy = false;

  private onMessage(message: { type: string } & Record<string, unknown>): void {
    if (message.type === "call") {
      void this.answer(String(message["name"]), String(message["args"]));
      return;
    }
    const pending = this.pending;
    if (pending === undefined) return;
    if (message.type === "result") {
      this.settle(message as unknown as CellRun & { type: string });
    } else if (message.type === "crashed") {
      // A failure of the WebAssembly module itself (its memory is full): the sandbox is spent.
      const text = String(message["message"]);
      this.die(`the sandbox failed: ${text}`, /memory|allocat/i.test(text) ? "memory" : "crashed");
    }
  }

  private async answer(name: string, argsJson: string): Promise<void> {
    const pending = this.pending;
    const started = performance.now();
    this.hostBusy = true;
    let reply: HostReply;
    try {
      let args: unknown;
      try {
        args = JSON.parse(argsJson);
      } catch {
        args = undefined;
      }
      reply = Array.isArray(args) ? await this.host(name, args) : { error: `${name}: its arguments are not JSON` };
    } catch (error) {
      reply = { error: error instanceof Error ? error.message : String(error) };
    } finally {
      this.hostBusy = false;
      if (pending) pending.hostMs += performance.now() - started;
    }
    if (this.dead !== undefined) return;
    let json: string;
    try {
      json = JSON.stringify("fatal" in reply ? { fatal: reply.fatal } : "error" in reply ? { error: reply.error } : { value: reply.value ?? null });
    } catch (error) {
      json = JSON.stringify({ error: `${name}: the host's answer is not JSON (${error instanceof Error ? error.message : String(error)})` });
    }
    this.replies.postMessage({ json, ...("fatal" in reply ? { stop: reply.fatal } : {}) });
    Atomics.store(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
  }

  private settle(run: CellRun): void {
    const pending = this.pending;
    this.pending = undefined;
    clearInterval(this.watchdog);
    pending?.resolve(run);
  }

  private die(reason: string, why: "cpu" | "memory" | "crashed"): void {
    if (this.dead !== undefined) return;
    this.dead = reason;
    clearInterval(this.watchdog);
    void this.worker.terminate();
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve({ output: "", droppedChars: 0, error: { name: "Error", message: reason }, interrupted: why, cpuMs: pending ? performance.now() - pending.started - pending.hostMs : 0, memoryBytes: 0 });
  }

  /** Stops the sandbox (a cell in progress ends as `crashed`). Safe to call twice. */
  async close(reason = "the sandbox was closed"): Promise<void> {
    this.die(reason, "crashed");
  }
}
