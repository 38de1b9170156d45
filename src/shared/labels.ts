// Labels as Kubernetes writes them, and label selectors with its syntax: `k=v` (or `k==v`), `k!=v`, `k in (a,b)`,
// `k notin (a,b)`, `k`, `!k`, joined by commas, all of which must hold.

/** Labels as Kubernetes writes them (on pods, and on nodes with `--label`). */
export const LABEL_KEY = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

export type Requirement =
  { key: string; op: "in"; values: string[] } | { key: string; op: "notin"; values: string[] } | { key: string; op: "exists" } | { key: string; op: "absent" };

/** A selector's requirements, or the reason it cannot be read. */
export function parseSelector(text: string): { ok: true; requirements: Requirement[] } | { ok: false; problem: string } {
  const requirements: Requirement[] = [];
  // Commas inside parentheses belong to a set: split on the others.
  const parts = text.split(/,(?![^(]*\))/).map((part) => part.trim());
  for (const part of parts) {
    if (part === "") return { ok: false, problem: `selector "${text}": an empty requirement (two commas, or one at an end)` };
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    const existence = /^(!?)([^=!\s(),]+)$/.exec(part);
    let requirement: Requirement;
    if (set) {
      const values = set[3].split(",").map((value) => value.trim());
      requirement = { key: set[1], op: set[2] as "in" | "notin", values };
    } else if (equality) {
      requirement = { key: equality[1], op: equality[2] === "!=" ? "notin" : "in", values: [equality[3]] };
    } else if (existence) {
      requirement = { key: existence[2], op: existence[1] ? "absent" : "exists" };
    } else {
      return { ok: false, problem: `selector "${text}": cannot read "${part}" (k=v, k!=v, k in (a,b), k notin (a,b), k or !k)` };
    }
    if (!LABEL_KEY.test(requirement.key)) return { ok: false, problem: `selector "${text}": "${requirement.key}" is not a label key` };
    const bad = "values" in requirement ? requirement.values.find((value) => !LABEL_VALUE.test(value)) : undefined;
    if (bad !== undefined) return { ok: false, problem: `selector "${text}": "${bad}" is not a label value` };
    requirements.push(requirement);
  }
  return { ok: true, requirements };
}

/** Whether labels satisfy every requirement (a missing key is "not in" any set, as in Kubernetes). */
export function matchesSelector(requirements: Requirement[], labels: Record<string, string>): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case "in":
        return has && r.values.includes(labels[r.key]);
      case "notin":
        return !has || !r.values.includes(labels[r.key]);
      case "exists":
        return has;
      case "absent":
        return !has;
    }
  });
}
