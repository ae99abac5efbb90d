import { createGraph } from "@blockwork/spec";
import { echo, TextIn, TextOut } from "./_blocks.js";

// "audit" was added but nothing leads to it.
export const graph = createGraph({ id: "broken-unreachable-block", input: TextIn, output: TextOut })
  .then(echo, (input) => input)
  .add(echo.as("audit"), (input) => input)
  .output((_, { echo }) => echo)
  .build();
