// Compose's variable interpolation, as `docker compose` does it: `$$` is a `$`; `$NAME` and `${NAME}` its value;
// `${NAME:-default}` / `${NAME-default}` a default when unset or empty / unset; `${NAME:?message}` / `${NAME?message}`
// an error; `${NAME:+other}` / `${NAME+other}` the other text when set and non-empty / set. A default may itself hold
// variables. An unset variable without a default is the empty string, and said once.

export interface Interpolated {
  text: string;
  /** Variables used without a value or a default. */
  missing: string[];
  /** `${NAME:?message}` of an unset variable, and syntax errors. */
  errors: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, lookup: (name: string) => string | undefined): Interpolated {
  const missing: string[] = [];
  const errors: string[] = [];
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar === -1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const end = closingBrace(text, dollar + 2);
      if (end === -1) {
        errors.push(`"${text}": a \${ without its closing }`);
        return { text: out + text.slice(dollar), missing, errors };
      }
      const inner = interpolateBraced(text.slice(dollar + 2, end), lookup);
      out += inner.text;
      missing.push(...inner.missing);
      errors.push(...inner.errors);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (!name) {
        out += "$"; // a lone $ stays, as docker compose leaves it
        i = dollar + 1;
        continue;
      }
      const value = lookup(name);
      if (value === undefined) missing.push(name);
      out += value ?? "";
      i = dollar + 1 + name.length;
    }
  }
  return { text: out, missing: [...new Set(missing)], errors };
}

/** Where the `}` that closes a `${` opened before `from` is (braces nest: a default may hold `${…}`). */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "$") i++;
    else if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function interpolateBraced(inside: string, lookup: (name: string) => string | undefined): Interpolated {
  const name = NAME.exec(inside)?.[0];
  if (!name) return { text: "", missing: [], errors: [`"\${${inside}}": not a variable name`] };
  const rest = inside.slice(name.length);
  const value = lookup(name);
  if (rest === "") return { text: value ?? "", missing: value === undefined ? [name] : [], errors: [] };
  const operator = /^(:?[-?+])/.exec(rest)?.[1];
  if (!operator) return { text: "", missing: [], errors: [`"\${${inside}}": unknown modifier "${rest}"`] };
  const argument = interpolate(rest.slice(operator.length), lookup);
  const unsetOrEmpty = value === undefined || (operator.startsWith(":") && value === "");
  switch (operator.replace(":", "")) {
    case "-":
      return unsetOrEmpty ? argument : { text: value!, missing: [], errors: [] };
    case "+":
      return unsetOrEmpty ? { text: "", missing: [], errors: [] } : argument;
    default:
      return unsetOrEmpty
        ? {
            text: "",
            missing: [],
            errors: [`required variable ${name} is ${value === undefined ? "missing a value" : "empty"}${argument.text ? `: ${argument.text}` : ""}`],
          }
        : { text: value!, missing: [], errors: [] };
  }
}
