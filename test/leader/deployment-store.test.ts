import { join } from "node:path";
import { expect } from "chai";
import { DeploymentStore, type StoredDeployment } from "../../src/leader/deployment-store.js";
import { leaderMigrations } from "../../src/leader/leader-migrations.js";
import type { DeploymentResource } from "../../src/shared/domain.js";
import { deploymentSchema } from "../../src/shared/manifest.js";
import { openDatabase, type OpenedDatabase } from "../../src/shared/open-database.js";
import { tempDir } from "../helpers/temp-dir.js";

const deployment = (image: string, replicas = 3): DeploymentResource =>
  deploymentSchema.parse({
    type: "deployment",
    metadata: { name: "web" },
    spec: { replicas, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image }] } } },
  }) as DeploymentResource;

describe("DeploymentStore (in progress: not yet wired)", () => {
  let dir: ReturnType<typeof tempDir>;
  let database: OpenedDatabase<unknown>;
  let store: DeploymentStore;
  const apply = (resource: DeploymentResource) => database.inBatch(() => store.applyOne(resource, resource, new Date(1000)));

  beforeEach(async () => {
    dir = tempDir("deployment-store");
    database = await openDatabase<unknown>(join(dir.path, "leader.db"), leaderMigrations);
    store = new DeploymentStore(database);
  });
  afterEach(async () => {
    await database.db.destroy();
    dir.remove();
  });

  it("creates, leaves unchanged, configures; a new template gets a new hash, a new replica count does not", async () => {
    expect(await apply(deployment("app:1"))).to.equal("created");
    expect(await apply(deployment("app:1"))).to.equal("unchanged");
    const [first] = await store.list();
    expect(await apply(deployment("app:1", 5))).to.equal("configured");
    expect((await store.list())[0]).to.deep.include({ templateHash: first.templateHash });
    expect(await apply(deployment("app:2", 5))).to.equal("configured");
    expect((await store.list())[0].templateHash).to.not.equal(first.templateHash);
  });

  it("creates pods it owns, named after it and its template, and finds them", async () => {
    await apply(deployment("app:1"));
    const [web] = await store.list();
    const names = await store.createPods(web as StoredDeployment, 2, new Date(2000));
    expect(names).to.have.length(2);
    for (const name of names) expect(name).to.match(new RegExp(`^web-${web.templateHash.slice(0, 8)}-[0-9a-f]{5}$`));
    expect((await store.ownedPods("web")).map((p) => [p.templateHash, p.createdAt, p.readySince, p.deleting])).to.deep.equal([
      [web.templateHash, 2000, undefined, false],
      [web.templateHash, 2000, undefined, false],
    ]);
    expect(await store.ownedPods("other")).to.deep.equal([]);
  });

  it("is forgotten once being deleted and owning no pod", async () => {
    await apply(deployment("app:1"));
    const [web] = await store.list();
    await store.createPods(web, 1, new Date(2000));
    expect(await store.removeIfEmpty("web")).to.equal(false); // not being deleted
    expect(await store.markDeleting("web", new Date(3000))).to.equal(true);
    expect(await store.removeIfEmpty("web")).to.equal(false); // still owns a pod
    await database.inBatch(() => database.prepareAll({ drop: "delete from pods where owner = 'web'" }).drop.run());
    expect(await store.removeIfEmpty("web")).to.equal(true);
    expect(await store.list()).to.deep.equal([]);
  });
});
