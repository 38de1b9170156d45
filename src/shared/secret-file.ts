import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";

/**
 * Writes a file only its owner may read (a private key, a token), creating its directory (0700). Written whole to a
 * new file beside it, then renamed over it: a reader never sees it half written, and a symbolic link planted at `path`
 * is replaced, never followed (the new file is created exclusively, without following links).
 */
export function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/**
 * A file's text, or undefined when it does not exist. A symbolic link is refused, not followed: a server's own files
 * are never links, and one planted in a data directory would make it read (a key, a password) what someone else chose.
 */
export function readIfExists(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw new Error(`${path} is a symbolic link, which Cube never makes: remove it (and see who put it there)`);
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * A server's data directory, private to its owner: created 0700, or, made by an older version, tightened (the
 * directory 0700, each file in it 0600: databases hold every pod's environment). Links are left as they are.
 */
export function makePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isFile() && (stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700);
  }
}
