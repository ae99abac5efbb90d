import { createGraph, P } from "@blockwork/spec";
import { classify, echo, TextIn, TextOut } from "./_blocks.js";

// An urgent billing question matches both cases; only their order decides where it goes.
export const graph = createGraph({ id: "broken-overlapping-route-cases", input: TextIn, output: TextOut })
  .add(classify, (input) => input)
  .add(echo.as("billing"), (input) => input)
  .add(echo.as("urgent"), (input) => input)
  .add(echo.as("rest"), (input) => input)
  .start("classify")
  .match("classify", (m) =>
    m
      .with({ kind: "billing" }, () => "billing")
      .with({ urgent: true }, () => "urgent")
      .with(P._, () => "rest")
      .exhaustive(),
  )
  .output((input) => ({ text: input.text }))
  .build();
