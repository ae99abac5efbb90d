import { createGraph } from "@blockwork/spec";
import { classify, echo, TextIn, TextOut } from "./_blocks.js";

// The types are fine, but the wiring is not: "reply" reads "billing", which only runs when the
// ticket is about billing. On the "tech" path, "billing" has not run when "reply" starts.
export const graph = createGraph({ id: "broken-binding-may-not-run", input: TextIn, output: TextOut })
  .add(classify, (input) => input)
  .add(echo.as("billing"), (input) => input)
  .add(echo.as("tech"), (input) => input)
  .add(echo.as("reply"), (_, { billing }) => ({ text: billing.text }))
  .start("classify")
  .route("classify", "kind", { billing: "billing", tech: "tech" })
  .edge("billing", "reply")
  .edge("tech", "reply")
  .output((_, { reply }) => reply)
  .build();
