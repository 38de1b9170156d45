import { expect } from "chai";
import { interpolate } from "../../../src/cli/compose/interpolate.js";

describe("compose interpolation", () => {
  const env: Record<string, string> = { TAG: "1.2", EMPTY: "", USER: "ana" };
  const lookup = (name: string) => env[name];
  const cases: [string, string, Partial<ReturnType<typeof interpolate>>][] = [
    ["no variable at all", "plain text", { text: "plain text" }],
    ["$NAME and ${NAME}", "app:$TAG and ${USER}", { text: "app:1.2 and ana" }],
    ["$$ is a dollar, never a variable", "cost $$5 and $${TAG}", { text: "cost $5 and ${TAG}" }],
    ["an unset variable: empty, and said", "x${NOPE}y$ALSO", { text: "xy", missing: ["NOPE", "ALSO"] }],
    [":- default when unset or empty", "${NOPE:-a} ${EMPTY:-b} ${TAG:-c}", { text: "a b 1.2" }],
    ["- default when unset only", "${NOPE-a}|${EMPTY-b}", { text: "a|" }],
    ["a default that holds a variable", "${NOPE:-${USER}-x}", { text: "ana-x" }],
    [":+ other text when set and not empty", "${TAG:+yes}${EMPTY:+no}${NOPE:+no}", { text: "yes" }],
    [":? an error when unset or empty", "${EMPTY:?give it}", { text: "", errors: ["required variable EMPTY is empty: give it"] }],
    ["? an error when unset", "${NOPE?}", { text: "", errors: ["required variable NOPE is missing a value"] }],
    ["a lone $ stays", "a $ b $1", { text: "a $ b $1" }],
    ["an unclosed ${", "a ${TAG", { errors: ['"a ${TAG": a ${ without its closing }'] }],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const result = interpolate(text, lookup);
      expect({ text: result.text, missing: result.missing, errors: result.errors }).to.deep.include({ missing: [], errors: [], ...expected } as object);
    });
  }
});
