// A fake OpenAI-compatible server in its own process (so that its work does not count against
// the client being measured). Prints its URL, then answers every request after `delayMs`.
import { startFakeOpenAIServer } from "@blockwork/nodes/testing";

const delayMs = Number(process.argv[2] ?? 50);
const server = await startFakeOpenAIServer(() => ({ content: '{"label":"ok","score":1}', delayMs, usage: { prompt_tokens: 120, completion_tokens: 8 } }));
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
