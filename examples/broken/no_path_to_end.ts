import { createGraph } from "@blockwork/spec";
import { echo, TextIn, TextOut } from "./_blocks.js";

// "draft" and "review" only lead to each other: the loop is bounded, but it has no exit, so the run
// fails when the bound is reached instead of ending.
export const graph = createGraph({ id: "broken-no-path-to-end", input: TextIn, output: TextOut })
  .then(echo.as("draft"), (input) => input)
  .then(echo.as("review"))
  .edge("review", "draft", { max: 3 })
  .output((_, { review }) => review)
  .build();
