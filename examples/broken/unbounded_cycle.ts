import { createGraph } from "@blockwork/spec";
import { classify, echo, TextIn, TextOut } from "./_blocks.js";

// "tech" goes back to "classify" with no bound: a ticket that stays "tech" loops forever.
export const graph = createGraph({ id: "broken-unbounded-cycle", input: TextIn, output: TextOut })
  .add(classify, (input) => input)
  .add(echo.as("billing"), (input) => input)
  .add(echo.as("tech"), (input) => input)
  .start("classify")
  .route("classify", "kind", { billing: "billing", tech: "tech" })
  .edge("tech", "classify")
  .output((_, { billing }) => billing)
  .build();
