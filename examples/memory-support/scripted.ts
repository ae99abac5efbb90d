import type { ModelRequest } from "@blockwork/nodes";
import { type ScriptedModelOptions, scriptedModel } from "@blockwork/nodes/testing";

/** Printed next to what the scripted model says: it is a script, not a model. */
export const SCRIPTED_LABEL = "[scripted]";

/** The customer's message at a turn of the 1,000-turn script. */
export function messageAt(turn: number): string {
  if (turn === 3) return "My order number is ORD-7731.";
  if (turn === 5) return "By the way, I use Firefox on Linux.";
  if (turn === 900) return "What is my order number again?";
  if (turn === 901) return "Which browser do I use?";
  return `Question ${turn}: how do I change setting ${turn % 17} of module ${turn % 5}?`;
}

/**
 * A SCRIPTED model for the example (never presented as a real model): it decides from its context
 * only. Told a fact, it calls `remember`; asked for one, it reads its core memory, else calls a
 * search tool and reads the result; the answer it gives is whatever its context holds.
 */
export function scriptedSupportModel(options: ScriptedModelOptions = {}) {
  return scriptedModel({ rules: [{ when: () => true, reply: (request) => reply(request) }] }, "scripted:support", options);
}

function reply(request: ModelRequest) {
  const system = request.messages[0]?.content ?? "";
  const user = request.messages.find((m) => m.role === "user")?.content ?? "";
  const message = (JSON.parse(user.replace(/^Input:\n/, "")) as { message: string }).message;
  const tools = request.messages.filter((m) => m.role === "tool").map((m) => m.content);
  const last = request.messages[request.messages.length - 1];
  const answer = (reply: string) => ({ json: { reply } });

  const order = /My order number is (ORD-\d+)/.exec(message);
  if (order) return last?.role === "tool" ? answer("Thanks, I have noted your order number.") : { toolCalls: [{ name: "remember", input: { kind: "fact", key: "order_number", text: `The customer's order number is ${order[1]}`, pin: true } }] };
  const browser = /I use (\w+) on (\w+)/.exec(message);
  if (browser) return last?.role === "tool" ? answer("Noted.") : { toolCalls: [{ name: "remember", input: { kind: "fact", key: "browser", text: `The customer uses ${browser[1]} on ${browser[2]}` } }] };

  if (/order number/.test(message)) {
    const seen = /order number is (ORD-\d+)/.exec([system, ...tools].join("\n"));
    if (seen) return answer(`Your order number is ${seen[1]}.`);
    return tools.length ? answer("I do not know your order number.") : { toolCalls: [{ name: "recall", input: { query: "order number" } }] };
  }
  if (/browser/.test(message)) {
    const seen = /uses? (\w+) on (\w+)/.exec([system, ...tools].join("\n"));
    if (seen) return answer(`You use ${seen[1]} on ${seen[2]}.`);
    if (tools.length === 0) return { toolCalls: [{ name: "recall", input: { query: "browser I use" } }] };
    if (tools.length === 1) return { toolCalls: [{ name: "search_archive", input: { query: "browser I use" } }] };
    return answer("I do not know which browser you use.");
  }
  return answer(`For setting ${/setting (\d+)/.exec(message)?.[1]}, open the module's settings page and change it there.`);
}
