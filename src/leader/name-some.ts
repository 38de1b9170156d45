/** At most this many names in one event or log line: an apply or a deployment of 1 000 pods does not write a page. */
const NAMES_SHOWN = 5;

/** The first few of `names`, and how many there are in all when some are left out. */
export function nameSome(names: string[]): string {
  return names.slice(0, NAMES_SHOWN).join(", ") + (names.length > NAMES_SHOWN ? `, … (${names.length} in all)` : "");
}
