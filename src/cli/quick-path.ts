// The commands people type all day, run without oclif's runtime: bin/run.js tries this first and hands every other
// command line (help, completion, an unknown flag, a bad value, the other commands) to oclif. Built as its own bundle
// (dist/cli/quick.cjs), so that a `cube list` loads none of oclif, zod, yaml or grpc-js.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Status } from "@grpc/grpc-js/build/src/constants.js";
import { changing } from "./changing.js";
import { isComposeDocument } from "./compose/compose-vocabulary.js";
import { configPath, loadConfig, type CubeConfig } from "./config.js";
import { failureLine } from "./describe-error.js";
import { LeaderClient } from "./leader-client.js";
import { knownLeaderCa } from "./leader-trust.js";
import { looksLikeJson, toWire } from "./manifest-wire.js";
import { OUTPUT_FORMATS, type OutputFormat } from "./output-formats.js";
import { appliedLines, printApplied } from "./print-applied.js";
import { deleteResources } from "./delete-resources.js";
import { getResources } from "./get-resources.js";
import { printList } from "./print-list.js";
import { printLogs, type LogsFlags } from "./print-logs.js";
import { parseTypeArgument } from "./resource-ref.js";
import { printNodes } from "./show-node.js";
import { CallError } from "./unary-channel.js";

/** The flags the quick path reads, as oclif's commands define them (test/cli/quick-path.test.ts holds them equal). */
export const QUICK_FLAGS = {
  output: { type: "string", short: "o" },
  selector: { type: "string", short: "l" },
  watch: { type: "boolean", short: "w" },
  filename: { type: "string", short: "f", multiple: true },
  purge: { type: "boolean" },
  container: { type: "string", short: "c" },
  follow: { type: "boolean", short: "f" },
  previous: { type: "boolean", short: "p" },
  timestamps: { type: "boolean" },
  since: { type: "string" },
  tail: { type: "string" },
} as const;

type FlagName = keyof typeof QUICK_FLAGS;

interface QuickFlags {
  output: OutputFormat;
  selector?: string;
  watch: boolean;
  purge: boolean;
  filename?: string[];
  /** Those of logs, when given. */
  logs?: Partial<Omit<LogsFlags, "selector">>;
}

interface QuickCommand {
  flags: FlagName[];
  /** How many arguments it takes at most (Infinity: as many words as given, as oclif's commands that are not strict). */
  args: number;
  /** Its first argument must be given (oclif's usage error, with its exit code, says so otherwise). */
  required?: true;
  /**
   * Runs it, connecting to the leader once what was typed is understood; false: the command line is oclif's after all
   * (found once the file was read, or the leader refused it).
   */
  run(connect: () => Promise<LeaderClient>, args: string[], flags: QuickFlags): Promise<void | false>;
}

/** The commands the quick path runs, by name. */
export const QUICK_COMMANDS: Record<string, QuickCommand> = {
  list: {
    flags: ["output", "selector", "watch"],
    args: 1,
    run: async (connect, [type], flags) => {
      const resourceType = type === undefined ? "" : parseTypeArgument(type);
      await printList(await connect(), resourceType, flags.output, flags.selector, flags.watch);
    },
  },
  nodes: { flags: ["output"], args: 0, run: async (connect, _args, flags) => printNodes(await connect(), flags.output) },
  get: { flags: ["output", "selector", "watch"], args: Infinity, required: true, run: (connect, words, flags) => getResources(connect, words, flags) },
  // -f, and --no-wait (which Node's parseArgs does not read), are oclif's.
  delete: { flags: ["selector", "purge"], args: Infinity, run: (connect, words, flags) => deleteResources(connect, words, { ...flags, wait: true }) },
  apply: { flags: ["filename", "output"], args: 1, run: applyJson },
  // Its streams load grpc-js (from node_modules), oclif's runtime still left out.
  logs: {
    flags: ["selector", "container", "follow", "previous", "timestamps", "since", "tail"],
    args: Infinity,
    run: (connect, words, { selector, logs }) => printLogs(connect, words, { selector, follow: false, timestamps: false, previous: false, ...logs }),
  },
};

/**
 * `apply` of one JSON manifest, sent as it is: the leader validates it as it does any client's. What else apply reads
 * (YAML, a Compose file, a directory, several files) is oclif's, and so is a manifest the leader refuses: the full
 * path reads it again and says where each problem is in the file (nothing was applied).
 */
async function applyJson(connect: () => Promise<LeaderClient>, [file]: string[], flags: QuickFlags): Promise<void | false> {
  const paths = [...(file === undefined ? [] : [file]), ...(flags.filename ?? [])];
  if (paths.length !== 1 || paths[0] === "-") return false;
  let documents: unknown[];
  try {
    const text = readFileSync(paths[0], "utf8");
    if (!looksLikeJson(text, paths[0])) return false;
    const parsed: unknown = JSON.parse(text);
    documents = Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return false; // not a file, or not JSON: oclif's words for it
  }
  if (documents.length === 0 || documents.some(isComposeDocument)) return false;
  const wire = toWire(documents);
  const leader = await connect();
  try {
    const { results } = await changing(() => leader.apply(wire), "cube list");
    await printApplied(appliedLines(results), flags.output, false);
  } catch (error) {
    if (error instanceof CallError && error.code === Status.INVALID_ARGUMENT) return false;
    throw error;
  }
}

/** A command line the quick path runs. */
export interface QuickLine {
  name: string;
  args: string[];
  flags: QuickFlags;
}

/** What the quick path makes of a command line; undefined for one it leaves to oclif. */
export function quickLine(argv: string[]): QuickLine | undefined {
  const [name, ...rest] = argv;
  const command = Object.hasOwn(QUICK_COMMANDS, name ?? "") ? QUICK_COMMANDS[name] : undefined;
  if (!command) return undefined;
  const options = Object.fromEntries(command.flags.map((flag) => [flag, QUICK_FLAGS[flag]]));
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch {
    return undefined; // an unknown flag, a missing value, --help: oclif says what it says of them
  }
  // As parseArgs reads QUICK_FLAGS: a string or a boolean each, filename several strings.
  const values = parsed.values as {
    [Flag in FlagName]?: Flag extends "filename" ? string[] : (typeof QUICK_FLAGS)[Flag]["type"] extends "string" ? string : boolean;
  };
  const output = values.output ?? "table";
  const { length } = parsed.positionals;
  if (length > command.args || (command.required && length === 0) || !(OUTPUT_FORMATS as readonly string[]).includes(output)) return undefined;
  if (values.tail !== undefined && !/^\d+$/.test(values.tail)) return undefined; // oclif says what --tail takes
  const flags = { output: output as OutputFormat, selector: values.selector, watch: values.watch ?? false, purge: values.purge ?? false };
  const { container, follow, previous, timestamps, since, tail } = values;
  const logs = Object.fromEntries(
    Object.entries({ container, follow, previous, timestamps, since, tail: tail === undefined ? undefined : Number(tail) }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  return {
    name,
    args: parsed.positionals,
    flags: { ...flags, ...(values.filename && { filename: values.filename }), ...(Object.keys(logs).length > 0 && { logs }) },
  };
}

/** Runs the command line if it is one of the quick path's; false when it is not (oclif runs it). */
export async function run(argv: string[] = process.argv.slice(2)): Promise<boolean> {
  const line = quickLine(argv);
  if (!line) return false;
  const path = configPath();
  let config: CubeConfig | undefined;
  let leader: LeaderClient | undefined;
  try {
    const loaded = (config = loadConfig(path));
    // A leader not met yet is oclif's: its first contact (once per config) loads the code of the trust proof.
    const ca = knownLeaderCa(loaded, path);
    if (!ca) return false;
    const connect = async () => (leader ??= LeaderClient.forConfig(loaded, path, ca));
    return (await QUICK_COMMANDS[line.name].run(connect, line.args, line.flags)) !== false;
  } catch (error) {
    process.stderr.write(failureLine(error, { path, value: config, command: `cube ${line.name}` }));
    process.exitCode = 1;
    return true;
  } finally {
    leader?.close();
  }
}
