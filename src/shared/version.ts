import { readFileSync } from "node:fs";

/** Cube's version, as its package says (the same file from src/ under tsx and from dist/). */
export const CUBE_VERSION: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
