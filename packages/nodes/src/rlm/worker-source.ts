// The sandbox's worker thread, as source text: `new Worker(WORKER_SOURCE, { eval: true })` works
// the same from the TypeScript sources (tests) and from the built package, with no file to copy
// and no loader. It is plain CommonJS: no template literals, so it fits in String.raw.
//
// The worker owns one QuickJS runtime in its own fixed-size WebAssembly.Memory. It runs cells
// (scripts at global scope, so top-level declarations persist between cells) with an interrupt
// handler that enforces the CPU limit of a cell, and forwards host calls to the main thread,
// blocking on Atomics.wait until the answer arrives (so host functions are synchronous inside the
// sandbox). Only strings cross the boundary in either direction.

export const WORKER_SOURCE = String.raw`
"use strict";
const { parentPort, workerData, receiveMessageOnPort } = require("node:worker_threads");
const core = require(workerData.corePath);
const variant = require(workerData.variantPath).default;
const signal = new Int32Array(workerData.signal);
const replies = workerData.replies;

let vm;
let rt;
let describeFn;
let hostFn;
let readAnswerFn;
let output = [];
let outputChars = 0;
let droppedChars = 0;
let maxOutputChars = 0;
let cpuLimitMs = 0;
let cpuUsedMs = 0;
let segmentStart = 0;
let interrupted = undefined;
let stopped = undefined;
let inHostCall = false;

function now() { return performance.now(); }

function record(text) {
  if (outputChars + text.length <= maxOutputChars) {
    output.push(text);
    outputChars += text.length;
  } else {
    const room = Math.max(0, maxOutputChars - outputChars);
    if (room > 0) output.push(text.slice(0, room));
    outputChars += room;
    droppedChars += text.length - room;
  }
}

function hostCall(name, argsJson) {
  if (stopped !== undefined) return JSON.stringify({ fatal: stopped });
  if (inHostCall) return JSON.stringify({ error: "re-entrant host call refused: a host function is already running" });
  inHostCall = true;
  cpuUsedMs += now() - segmentStart;
  try {
    Atomics.store(signal, 0, 0);
    parentPort.postMessage({ type: "call", name: name, args: argsJson });
    // Blocks this thread (not the host's) until the host has answered.
    Atomics.wait(signal, 0, 0);
    const message = receiveMessageOnPort(replies);
    if (message === undefined) return JSON.stringify({ error: "the host did not answer" });
    const reply = message.message;
    if (reply.stop !== undefined) stopped = reply.stop;
    return reply.json;
  } finally {
    inHostCall = false;
    segmentStart = now();
  }
}

async function init(options) {
  const memory = new WebAssembly.Memory({ initial: options.pages, maximum: options.pages });
  const module = await core.newQuickJSWASMModuleFromVariant(core.newVariant(variant, { wasmModule: workerData.wasmModule, wasmMemory: memory }));
  rt = module.newRuntime();
  rt.setMaxStackSize(options.stackBytes);
  // Not a bound on its own (the fixed memory is): it makes QuickJS fail allocations early and cleanly.
  rt.setMemoryLimit(options.memoryLimitBytes);
  if (options.interrupts !== false) rt.setInterruptHandler(function () {
    if (stopped !== undefined) { interrupted = "stopped"; return true; }
    if (cpuUsedMs + (now() - segmentStart) > cpuLimitMs) { interrupted = "cpu"; return true; }
    return false;
  });
  vm = rt.newContext();
  const print = vm.newFunction("__print", function (text) {
    record(vm.typeof(text) === "string" ? vm.getString(text) : "");
  });
  vm.setProp(vm.global, "__print", print);
  print.dispose();
  const host = vm.newFunction("__host", function (name, args) {
    if (vm.typeof(name) !== "string" || vm.typeof(args) !== "string") return vm.newString(JSON.stringify({ error: "__host takes two strings" }));
    return vm.newString(hostCall(vm.getString(name), vm.getString(args)));
  });
  vm.setProp(vm.global, "__host", host);
  host.dispose();
  cpuLimitMs = options.bootCpuMs;
  cpuUsedMs = 0;
  segmentStart = now();
  const boot = vm.evalCode(options.bootstrap, "bootstrap.js");
  if (boot.error) {
    const error = vm.dump(boot.error);
    boot.error.dispose();
    throw new Error("the sandbox bootstrap failed: " + JSON.stringify(error));
  }
  // The bootstrap returns its private helpers; the guest cannot reach them afterwards.
  const helpers = boot.value;
  describeFn = vm.getProp(helpers, "describe");
  readAnswerFn = vm.getProp(helpers, "readAnswer");
  helpers.dispose();
}

function describe(errorHandle) {
  const result = vm.callFunction(describeFn, vm.undefined, errorHandle);
  if (result.error) { result.error.dispose(); return { name: "Error", message: "the cell threw a value that could not be described" }; }
  const text = vm.getString(result.value);
  result.value.dispose();
  try { return JSON.parse(text); } catch (e) { return { name: "Error", message: text.slice(0, 2000) }; }
}

function run(message) {
  // A sandbox the host stopped (a budget ran out) runs nothing more.
  if (stopped !== undefined) return { type: "result", output: "", droppedChars: 0, error: { name: "InternalError", message: stopped }, interrupted: "stopped", answer: undefined, cpuMs: 0, memoryBytes: 0 };
  output = [];
  outputChars = 0;
  droppedChars = 0;
  maxOutputChars = message.maxOutputChars;
  cpuLimitMs = message.cpuMs;
  cpuUsedMs = 0;
  interrupted = undefined;
  segmentStart = now();
  let error;
  const result = vm.evalCode(message.code, "cell-" + message.cell + ".js");
  if (result.error) {
    error = interrupted !== undefined ? { name: "InternalError", message: "interrupted" } : describe(result.error);
    result.error.dispose();
  } else {
    result.value.dispose();
  }
  // Promise callbacks the cell queued (import() refusals, then-chains) run now, under the same limit.
  if (interrupted === undefined) {
    const jobs = rt.executePendingJobs();
    if (jobs.error) {
      if (error === undefined) error = interrupted !== undefined ? { name: "InternalError", message: "interrupted" } : describe(jobs.error);
      jobs.error.dispose();
    }
  }
  let answer;
  if (interrupted === undefined) {
    // The answer is read inside the sandbox (JSON.stringify there), under the same CPU limit.
    const read = vm.callFunction(readAnswerFn, vm.undefined);
    if (read.error) {
      const failed = interrupted !== undefined ? { name: "InternalError", message: "interrupted" } : describe(read.error);
      read.error.dispose();
      answer = { unreadable: failed.message };
    } else {
      answer = vm.getString(read.value);
      read.value.dispose();
    }
  }
  cpuUsedMs += now() - segmentStart;
  let memory = 0;
  try {
    const usage = rt.computeMemoryUsage();
    const used = vm.dump(usage);
    usage.dispose();
    memory = used.memory_used_size || 0;
  } catch (e) {}
  return {
    type: "result",
    output: output.join(""),
    droppedChars: droppedChars,
    error: error,
    interrupted: interrupted,
    answer: answer,
    cpuMs: cpuUsedMs,
    memoryBytes: memory,
  };
}

parentPort.on("message", async function (message) {
  try {
    if (message.type === "init") {
      await init(message);
      parentPort.postMessage({ type: "ready" });
    } else if (message.type === "run") {
      parentPort.postMessage(run(message));
    }
  } catch (error) {
    const text = error && error.message ? String(error.message) : String(error);
    // Out of memory inside the WebAssembly module (not a QuickJS exception): the sandbox is spent.
    parentPort.postMessage({ type: "crashed", message: text });
  }
});
`;
