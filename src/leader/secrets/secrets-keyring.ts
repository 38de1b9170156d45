import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { IN_MEMORY } from "../../shared/open-database.js";
import { readIfExists, writeSecretFile } from "../../shared/secret-file.js";
import { NONCE_BYTES, openAesGcm, sealAesGcm, TAG_BYTES } from "./aes-gcm.js";

/** The file in the leader's data directory that holds the keys of secrets at rest (mode 0600, never in the database). */
export const SECRETS_KEY_FILE = "secrets.key";

const FORMAT = 1;
const KEY_ID_BYTES = 4;
const HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES;

interface KeyFile {
  primary: string;
  keys: Record<string, string>;
}

/**
 * The keys that encrypt secrets in the leader's database: AES-256-GCM, a fresh random 96-bit nonce per encryption, the
 * value's own name as associated data (a sealed value moved to another secret's row does not open). Each sealed value
 * names its key, so that a rotation can re-encrypt row by row while both keys open: new values take the primary key.
 * Sealed: version (1 byte) | key id (4) | nonce (12) | tag (16) | ciphertext.
 */
export class SecretsKeyring {
  private constructor(
    private file: KeyFile,
    private readonly path: string | undefined,
  ) {}

  /** The data directory's keys, made on first use (an in-memory leader keeps one in memory only). */
  static open(dataDir: string): SecretsKeyring {
    const path = dataDir === IN_MEMORY ? undefined : join(dataDir, SECRETS_KEY_FILE);
    const text = path && readIfExists(path);
    if (text) return new SecretsKeyring(parseKeyFile(text, path), path);
    const keyring = new SecretsKeyring(newKeyFile(), path);
    keyring.save();
    return keyring;
  }

  /** How many keys are held: more than one while a rotation is under way (or was interrupted). */
  get keyCount(): number {
    return Object.keys(this.file.keys).length;
  }

  get primaryKeyId(): string {
    return this.file.primary;
  }

  seal(plain: Buffer, context: string): Buffer {
    const { nonce, tag, body } = sealAesGcm(this.key(this.file.primary), plain, context);
    return Buffer.concat([Buffer.from([FORMAT]), Buffer.from(this.file.primary, "hex"), nonce, tag, body]);
  }

  /** The plain value; throws when the value was altered, sealed for another context, or under a key no longer held. */
  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < HEADER_BYTES || sealed[0] !== FORMAT) throw new Error("not a sealed value of this format");
    const id = sealed.subarray(1, 1 + KEY_ID_BYTES).toString("hex");
    const nonce = sealed.subarray(1 + KEY_ID_BYTES, 1 + KEY_ID_BYTES + NONCE_BYTES);
    const tag = sealed.subarray(1 + KEY_ID_BYTES + NONCE_BYTES, HEADER_BYTES);
    const plain = openAesGcm(this.key(id), { nonce, tag, body: sealed.subarray(HEADER_BYTES) }, context);
    if (!plain) throw new Error(`${context}: its sealed value does not open (altered, or sealed for another secret)`);
    return plain;
  }

  /** Whether a sealed value is under the primary key already. */
  isCurrent(sealed: Buffer): boolean {
    return sealed.subarray(1, 1 + KEY_ID_BYTES).toString("hex") === this.file.primary;
  }

  /** A new primary key, written to the key file next to the old ones (which still open what they sealed). */
  addPrimaryKey(): void {
    const id = newKeyId(this.file.keys);
    this.file = { primary: id, keys: { ...this.file.keys, [id]: randomBytes(32).toString("base64") } };
    this.save();
  }

  /** Forgets every key but the primary one: call once nothing sealed under them is left. */
  dropOldKeys(): void {
    this.file = { primary: this.file.primary, keys: { [this.file.primary]: this.file.keys[this.file.primary] } };
    this.save();
  }

  private key(id: string): Buffer {
    const key = this.file.keys[id];
    if (!key) throw new Error(`sealed under key ${id}, which ${this.path ?? "the keyring"} does not hold`);
    return Buffer.from(key, "base64");
  }

  private save(): void {
    if (this.path) writeSecretFile(this.path, `${JSON.stringify(this.file, null, 2)}\n`);
  }
}

function newKeyId(taken: Record<string, string>): string {
  for (;;) {
    const id = randomBytes(KEY_ID_BYTES).toString("hex");
    if (!Object.hasOwn(taken, id)) return id;
  }
}

function newKeyFile(): KeyFile {
  const id = newKeyId({});
  return { primary: id, keys: { [id]: randomBytes(32).toString("base64") } };
}

function parseKeyFile(text: string, path: string): KeyFile {
  let file: KeyFile;
  try {
    file = JSON.parse(text) as KeyFile;
  } catch {
    throw new Error(`${path} is not the secrets key file Cube writes (not JSON)`);
  }
  const valid =
    typeof file.primary === "string" &&
    typeof file.keys === "object" &&
    Object.entries(file.keys).every(([id, key]) => /^[0-9a-f]{8}$/.test(id) && Buffer.from(String(key), "base64").length === 32) &&
    Object.hasOwn(file.keys, file.primary);
  if (!valid) throw new Error(`${path} is not the secrets key file Cube writes (a primary key id and 32-byte keys)`);
  return file;
}
