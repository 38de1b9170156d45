import { expect } from "chai";
import { SecretsKeyRotation } from "../../../src/leader/secrets/secrets-key-rotation.js";
import { SecretsKeyring } from "../../../src/leader/secrets/secrets-keyring.js";
import { LeaderStore } from "../../../src/leader/store/leader-store.js";
import { contentHash } from "../../../src/leader/spec-hash.js";
import { parseManifest } from "../../../src/shared/manifest.js";
import { STORE_BACKENDS } from "../../helpers/store-backends.js";
import { tempDir } from "../../helpers/temp-dir.js";

const secret = (name: string, data: Record<string, string>) => ({ type: "secret", metadata: { name }, data });
const config = (name: string, data: Record<string, string>) => ({ type: "config", metadata: { name }, data });
const deployment = (name: string, env: Record<string, unknown>, volumes: object[] = []) => ({
  type: "deployment",
  metadata: { name },
  spec: { replicas: 1, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "busybox", env }], volumes } } },
});

for (const backend of STORE_BACKENDS)
  describe(`the leader's store (${backend.name}): secrets and configs`, () => {
    let dir: ReturnType<typeof tempDir>;
    let keyring: SecretsKeyring;
    let location: string;
    let store: LeaderStore;

    beforeEach(async () => {
      dir = tempDir("keyed-store");
      keyring = SecretsKeyring.open(dir.path);
      location = await backend.location(dir.path);
      store = await LeaderStore.open(location, undefined, undefined, keyring);
    });
    afterEach(async () => {
      await store.close();
      dir.remove();
    });

    async function apply(...resources: object[]): Promise<string> {
      const manifest = parseManifest(JSON.stringify(resources));
      if (!manifest.ok) throw new Error(manifest.problems.join("\n"));
      const results = await store.applyResources(manifest.entries, new Date());
      return results.map((r) => `${r.type}/${r.name} ${r.outcome}${r.revision ? ` (revision ${r.revision})` : ""}`).join(", ");
    }

    const databaseBytes = () => backend.bytes(location);

    it("keeps a secret's values sealed (the database holds none of them), a config's as they are; applying the same again changes nothing", async () => {
      const password = "correct-horse-battery-staple-7f3a";
      expect(await apply(secret("db", { password }), config("app", { MODE: "production-mode-9c1e" }))).to.equal("secret/db created, config/app created");
      await store.close();
      const written = await databaseBytes();
      expect(written.includes(Buffer.from(password))).to.equal(false);
      expect(written.includes(Buffer.from(Buffer.from(password).toString("base64")))).to.equal(false);
      expect(written.includes(Buffer.from(Buffer.from("production-mode-9c1e").toString("base64")))).to.equal(true);
      store = await LeaderStore.open(location, undefined, undefined, keyring);
      expect(await apply(secret("db", { password }))).to.equal("secret/db unchanged");
      const [values] = await store.keyed.values(["secret/db"]);
      expect(values.data.get("password")!.toString()).to.equal(password);
      expect((await store.keyed.get("secret", "db"))!.keys).to.deep.equal([{ key: "password", bytes: password.length }]);
    });

    it("counts revisions of the content, with a new content id each time it changes (labels alone change neither)", async () => {
      await apply(secret("db", { password: "one" }));
      const first = (await store.keyed.get("secret", "db"))!;
      expect(await apply({ ...secret("db", { password: "one" }), metadata: { name: "db", labels: { tier: "data" } } })).to.equal("secret/db configured");
      expect((await store.keyed.get("secret", "db"))!).to.include({ revision: 1, contentId: first.contentId });
      await apply(secret("db", { password: "two" }));
      const second = (await store.keyed.get("secret", "db"))!;
      expect(second.revision).to.equal(2);
      expect(second.contentId).to.not.equal(first.contentId);
    });

    it("rolls out a deployment that uses a secret when its values change (env or volume), and only then", async () => {
      expect(
        await apply(
          secret("db", { password: "one" }),
          deployment("web", { DB_PASSWORD: { secretKeyRef: { name: "db", key: "password" } } }),
          deployment("files", {}, [{ name: "conf", config: { name: "app" } }]),
          deployment("plain", { MODE: "x" }),
          config("app", { MODE: "a" }),
        ),
      ).to.equal(
        "secret/db created, config/app created, deployment/web created (revision 1), deployment/files created (revision 1), deployment/plain created (revision 1)",
      );
      const hashes = async () =>
        Object.fromEntries((await store.deployments.list()).map((d) => [d.name, `${d.rollout.revision}:${d.templateHash.slice(0, 6)}`]));
      const before = await hashes();
      await apply(secret("db", { password: "one" }), config("app", { MODE: "a" }));
      expect(await hashes()).to.deep.equal(before);
      await apply(secret("db", { password: "two" }));
      const afterSecret = await hashes();
      expect([afterSecret.web.split(":")[0], afterSecret.files, afterSecret.plain]).to.deep.equal(["2", before.files, before.plain]);
      await apply(config("app", { MODE: "b" }));
      expect((await hashes()).files.split(":")[0]).to.equal("2");
      // A deployment that uses nothing keeps the hash it always had (no rollout on upgrade).
      const plain = (await store.deployments.get("plain"))!;
      expect(plain.templateHash).to.equal(contentHash(plain.spec.template));
    });

    it("seals every secret again under a new key, and finishes a rotation that a crash interrupted", async () => {
      await apply(secret("a", { k: "value-a" }), secret("b", { k: "value-b" }));
      const rotation = new SecretsKeyRotation(keyring, store.keyed);
      const { secrets, keyId } = await rotation.rotate();
      expect([secrets, keyId, keyring.keyCount]).to.deep.equal([2, keyring.primaryKeyId, 1]);
      expect((await store.keyed.values(["secret/a", "secret/b"])).map((v) => v.data.get("k")!.toString())).to.deep.equal(["value-a", "value-b"]);
      keyring.addPrimaryKey(); // as a crash after the key file was written
      expect(await rotation.finishInterrupted()).to.equal(2);
      expect(keyring.keyCount).to.equal(1);
      expect(await rotation.finishInterrupted()).to.equal(undefined);
      expect((await store.keyed.values(["secret/a"]))[0].data.get("k")!.toString()).to.equal("value-a");
    });
  });
