import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Flags } from "@oclif/core";
import { manifestData } from "../shared/keyed-content.js";
import { UsageError } from "./resource-ref.js";

/** The flags of `create secret` and `create config`: values from files and from the command line, as kubectl's. */
export const keyedFlags = {
  "from-file": Flags.string({
    description: "KEY=PATH, or PATH (the key is the file's name): a key whose value is the file's bytes",
    multiple: true,
    default: [],
  }),
  "from-literal": Flags.string({ description: "KEY=VALUE: a key and its value", multiple: true, default: [] }),
};

/** A secret's or config's manifest from `--from-file` and `--from-literal` (bytes that are not UTF-8 go as binaryData). */
export function keyedManifest(kind: "secret" | "config", name: string, fromFile: string[], fromLiteral: string[]): Record<string, unknown> {
  const content = new Map<string, Buffer>();
  const add = (key: string, value: Buffer) => {
    if (content.has(key)) throw new UsageError(`key "${key}" is given twice`);
    content.set(key, value);
  };
  for (const literal of fromLiteral) {
    const equals = literal.indexOf("=");
    if (equals <= 0) throw new UsageError(`--from-literal ${JSON.stringify(literal)}: expected KEY=VALUE`);
    add(literal.slice(0, equals), Buffer.from(literal.slice(equals + 1)));
  }
  for (const spec of fromFile) {
    const equals = spec.indexOf("=");
    const [key, path] = equals > 0 ? [spec.slice(0, equals), spec.slice(equals + 1)] : [basename(spec), spec];
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new UsageError(`--from-file ${spec}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    add(key, bytes);
  }
  return { type: kind, metadata: { name }, ...manifestData(content) };
}
