import { createGraph, P } from "@blockwork/spec";
import { classify, echo, TextIn, TextOut } from "./_blocks.js";

// The second case is shadowed: every output with kind "billing" is taken by the first case.
export const graph = createGraph({ id: "broken-unreachable-route-case", input: TextIn, output: TextOut })
  .add(classify, (input) => input)
  .add(echo.as("billing"), (input) => input)
  .add(echo.as("urgent"), (input) => input)
  .add(echo.as("rest"), (input) => input)
  .start("classify")
  .match("classify", (m) =>
    m
      .with({ kind: "billing" }, () => "billing")
      .with({ kind: "billing", urgent: true }, () => "urgent")
      .with(P._, () => "rest")
      .exhaustive(),
  )
  .output((input) => ({ text: input.text }))
  .build();
