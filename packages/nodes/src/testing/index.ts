/**
 * Drive agent blocks without a model: scripted models and a local fake OpenAI-compatible server.
 *
 * @module @blockwork/nodes/testing
 */

export { scriptedModel, textOf } from "./scripted-model.js";
export type { ScriptedModel, ScriptedModelOptions, ScriptedReply, ScriptRule } from "./scripted-model.js";
export { startFakeOpenAIServer } from "./fake-openai-server.js";
export type { FakeOpenAIServer, FakeReply, FakeRequest } from "./fake-openai-server.js";
export { agentCalls } from "./calls.js";
export type { AgentCall } from "./calls.js";
