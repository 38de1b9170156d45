// Shell completion, decided here (the shell scripts only ask `cube __complete WORDS…`, as kubectl's do): the words
// typed so far in, the candidates for the last one out. Pure: the commands and the cluster's names come in.

import { OUTPUT_FORMATS } from "./output-formats.js";
import { RESOURCE_TYPES, parseResourceType, type ResourceType } from "../shared/domain.js";
import { TOP_SORTS } from "./render-top.js";

export interface CompletableCommand {
  /** "get", "rollout status". */
  id: string;
  aliases: string[];
  /** "--output", "-o", … */
  flags: string[];
}

/** What names exist, asked only when needed (the leader, with a short deadline; nothing when it cannot be reached). */
export interface NameSource {
  resources(type: ResourceType): Promise<string[]>;
  nodes(): Promise<string[]>;
}

/** Commands whose arguments are resources, and the type a bare name means for them. */
const RESOURCE_COMMANDS: Record<string, ResourceType | undefined> = {
  get: undefined,
  describe: undefined,
  delete: undefined,
  list: undefined,
  restart: undefined,
  scale: "deployment",
  logs: "pod",
  exec: "pod",
  "port-forward": "pod",
  "rollout status": "deployment",
  "rollout history": "deployment",
  "rollout undo": "deployment",
  "rollout restart": "deployment",
};
const NODE_COMMANDS = new Set(["cordon", "uncordon", "drain", "node rm"]);
/** Commands whose argument is one of a few words, and flags that take one of a few. */
const WORD_ARGUMENTS: Record<string, string[]> = { top: ["pods", "nodes"] };
const WORD_FLAGS: Record<string, string[]> = { "--sort": [...TOP_SORTS] };

export async function completeWords(words: string[], commands: CompletableCommand[], names: NameSource): Promise<string[]> {
  const current = words.at(-1) ?? "";
  const typed = words.slice(0, -1);
  const byPrefix = (candidates: string[]) => candidates.filter((candidate) => candidate.startsWith(current));
  const ids = commands.flatMap((c) => [c.id, ...c.aliases]);
  // The command: its longest id among the words typed ("rollout status" before "rollout").
  const command = commands.find((c) =>
    [c.id, ...c.aliases].some((id) => id === typed.slice(0, id.split(" ").length).join(" ") && typed.length >= id.split(" ").length),
  );
  if (!command) {
    // Still choosing it: the next word of every id that starts with what was typed.
    const next = ids.filter((id) => id.startsWith(typed.join(" ") + (typed.length > 0 ? " " : ""))).map((id) => id.split(" ")[typed.length]);
    return byPrefix([...new Set(next)]);
  }
  const args = typed.slice(command.id.split(" ").length).filter((word) => !word.startsWith("-"));
  const previous = typed.at(-1);
  if (previous === "-o" || previous === "--output") return byPrefix([...OUTPUT_FORMATS]);
  if (previous !== undefined && previous in WORD_FLAGS && command.flags.includes(previous)) return byPrefix(WORD_FLAGS[previous]);
  if (current.startsWith("-")) return byPrefix(command.flags);
  if (NODE_COMMANDS.has(command.id)) return args.length === 0 ? byPrefix(await names.nodes()) : [];
  if (command.id in WORD_ARGUMENTS) return args.length === 0 ? byPrefix(WORD_ARGUMENTS[command.id]) : [];
  if (!(command.id in RESOURCE_COMMANDS)) return [];
  const bare = RESOURCE_COMMANDS[command.id];
  // TYPE/NAME as one word.
  const slash = current.indexOf("/");
  if (slash >= 0) {
    const type = parseResourceType(current.slice(0, slash));
    return type ? byPrefix((await names.resources(type)).map((name) => `${current.slice(0, slash)}/${name}`)) : [];
  }
  // TYPE NAME: the type was the word before.
  const typeBefore = args.length > 0 ? parseResourceType(args[0]) : undefined;
  if (typeBefore) return byPrefix(await names.resources(typeBefore));
  if (args.length > 0) return [];
  // A command of one type (logs: pods) offers that type and its names; the others, every type.
  return byPrefix(bare ? [bare, ...(await names.resources(bare))] : [...RESOURCE_TYPES]);
}
