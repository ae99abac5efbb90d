import type { Assistant, Command, Config, GraphSchema, Metadata, Run, StreamMode, Thread, ThreadState } from "@langchain/langgraph-sdk";
import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { assistantJson, schemasJson } from "../src/http.js";
import type { CommandSchema, ConfigSchema, RunCreateSchema, ThreadCreateSchema } from "../src/schemas.js";
import type { Service } from "../src/service.js";

// The request schemas accept what the SDK's types allow, and the responses are what its types say.

/** Whether a value of type A can be used where B is expected. */
type Fits<A, B> = [A] extends [B] ? true : false;

describe("the API's schemas against @langchain/langgraph-sdk's types", () => {
  it("request bodies accept the SDK's values", () => {
    expectTypeOf<Fits<Command, z.input<typeof CommandSchema>>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<Config, z.input<typeof ConfigSchema>>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<StreamMode, NonNullable<z.input<typeof RunCreateSchema>["stream_mode"]>>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<StreamMode[], NonNullable<z.input<typeof RunCreateSchema>["stream_mode"]>>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<NonNullable<Metadata>, NonNullable<z.input<typeof RunCreateSchema>["metadata"]>>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<NonNullable<Metadata>, NonNullable<z.input<typeof ThreadCreateSchema>["metadata"]>>>().toEqualTypeOf<true>();
  });

  it("responses are the SDK's types", () => {
    expectTypeOf<Fits<ReturnType<Service["runJson"]>, Run>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<Awaited<ReturnType<Service["threadJson"]>>, Thread>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<Awaited<ReturnType<Service["threadState"]>>, ThreadState>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<Awaited<ReturnType<Service["history"]>>, ThreadState[]>>().toEqualTypeOf<true>();
    expectTypeOf<Fits<ReturnType<typeof assistantJson>, Omit<Assistant, "description"> & { description: string | null }>>().toEqualTypeOf<true>();
    // GraphSchema's schemas are JSONSchema7 objects; a contract's JSON Schema may also be `true`/`false`.
    expectTypeOf<Fits<Omit<ReturnType<typeof schemasJson>, `${string}_schema`>, Omit<GraphSchema, `${string}_schema`>>>().toEqualTypeOf<true>();
  });
});
