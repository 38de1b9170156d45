import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Flags } from "@oclif/core";
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
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  const taken = (key: string) => {
    if (Object.hasOwn(data, key) || Object.hasOwn(binaryData, key)) throw new UsageError(`key "${key}" is given twice`);
  };
  for (const literal of fromLiteral) {
    const equals = literal.indexOf("=");
    if (equals <= 0) throw new UsageError(`--from-literal ${JSON.stringify(literal)}: expected KEY=VALUE`);
    const key = literal.slice(0, equals);
    taken(key);
    data[key] = literal.slice(equals + 1);
  }
  for (const spec of fromFile) {
    const equals = spec.indexOf("=");
    const [key, path] = equals > 0 ? [spec.slice(0, equals), spec.slice(equals + 1)] : [basename(spec), spec];
    taken(key);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new UsageError(`--from-file ${spec}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes)) data[key] = bytes.toString("utf8");
    else binaryData[key] = bytes.toString("base64");
  }
  return {
    type: kind,
    metadata: { name },
    ...(Object.keys(data).length ? { data } : {}),
    ...(Object.keys(binaryData).length ? { binaryData } : {}),
  };
}
