import type { SecretsKeyring } from "./secrets-keyring.js";

/**
 * Seals every secret under a new key, without stopping anything: the new key is written next to the old one first (a
 * crash then leaves both, and the next start finishes the rotation), the secrets are sealed again in one transaction
 * (values keep flowing to nodes meanwhile: both keys open), and only then is the old key forgotten.
 */
export class SecretsKeyRotation {
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly keyring: SecretsKeyring,
    private readonly store: { resealAll(): Promise<number> },
  ) {}

  /** One rotation at a time; returns how many secrets were sealed again and the new key's id. */
  rotate(): Promise<{ secrets: number; keyId: string }> {
    const rotation = this.running.then(async () => {
      this.keyring.addPrimaryKey();
      return this.finish();
    });
    this.running = rotation.catch(() => undefined);
    return rotation;
  }

  /** Ends a rotation that a crash interrupted (the key file holds more than one key); nothing to do otherwise. */
  async finishInterrupted(): Promise<number | undefined> {
    return this.keyring.keyCount > 1 ? (await this.finish()).secrets : undefined;
  }

  private async finish(): Promise<{ secrets: number; keyId: string }> {
    const secrets = await this.store.resealAll();
    this.keyring.dropOldKeys();
    return { secrets, keyId: this.keyring.primaryKeyId };
  }
}
