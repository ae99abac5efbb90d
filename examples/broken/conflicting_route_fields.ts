import { createGraph } from "@blockwork/spec";
import { classify, echo, TextIn, TextOut } from "./_blocks.js";

// Two routes on one block, on two different fields: which edge wins is undefined.
export const graph = createGraph({ id: "broken-conflicting-route-fields", input: TextIn, output: TextOut })
  .add(classify, (input) => input)
  .add(echo.as("billing"), (input) => input)
  .add(echo.as("tech"), (input) => input)
  .start("classify")
  .route("classify", "kind", { billing: "billing", tech: "tech" })
  .route("classify", "urgent", { true: "billing", false: "tech" })
  .output((input) => ({ text: input.text }))
  .build();
