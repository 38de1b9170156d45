import { expect } from "chai";
import type { DeploymentStore, StoredDeployment } from "../../../src/leader/store/deployment-store.js";
import type { LeaderStore } from "../../../src/leader/store/leader-store.js";
import type { PodStore } from "../../../src/leader/store/pod-store.js";
import type { DeploymentResource } from "../../../src/shared/domain.js";
import { deploymentSchema } from "../../../src/shared/manifest.js";
import { STORE_BACKENDS } from "../../helpers/store-backends.js";
import { tempDir } from "../../helpers/temp-dir.js";

const deployment = (image: string, replicas = 3): DeploymentResource =>
  deploymentSchema.parse({
    type: "deployment",
    metadata: { name: "web" },
    spec: { replicas, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image }] } } },
  }) as DeploymentResource;

for (const backend of STORE_BACKENDS)
  describe(`DeploymentStore (${backend.name})`, () => {
    let dir: ReturnType<typeof tempDir>;
    let leader: LeaderStore;
    let store: DeploymentStore;
    let pods: PodStore;
    const applyWithRevision = async (resource: DeploymentResource, at = 1000) => {
      const [{ outcome, revision }] = await leader.applyResources([{ resource, source: resource }], new Date(at));
      return revision === undefined ? { outcome } : { outcome, revision };
    };
    const apply = async (resource: DeploymentResource, at = 1000) => (await applyWithRevision(resource, at)).outcome;
    const nodeStatus = () => "Ready" as const;
    const history = async () => (await store.revisionsOf("web")).map((r) => [r.revision, r.template.spec.containers[0].image, r.completedAt?.getTime()]);

    beforeEach(async () => {
      dir = tempDir("deployment-store");
      leader = await backend.open(dir.path);
      store = leader.deployments;
      pods = leader.pods;
    });
    afterEach(async () => {
      await leader.close();
      dir.remove();
    });

    it("creates, leaves unchanged, configures; a new template gets a new hash and revision, a new replica count does not", async () => {
      expect(await applyWithRevision(deployment("app:1"))).to.deep.equal({ outcome: "created", revision: 1 });
      expect(await applyWithRevision(deployment("app:1"))).to.deep.equal({ outcome: "unchanged" });
      const [first] = await store.list();
      expect(await applyWithRevision(deployment("app:1", 5))).to.deep.equal({ outcome: "configured" });
      expect((await store.list())[0]).to.deep.include({ templateHash: first.templateHash });
      expect(await applyWithRevision(deployment("app:2", 5))).to.deep.equal({ outcome: "configured", revision: 2 });
      expect((await store.list())[0].templateHash).to.not.equal(first.templateHash);
    });

    it("creates pods it owns, named after it and its template, and finds them", async () => {
      await apply(deployment("app:1"));
      const [web] = await store.list();
      const names = await pods.createReplicas(web as StoredDeployment, 2, new Date(2000));
      expect(names).to.have.length(2);
      for (const name of names) expect(name).to.match(new RegExp(`^web-${web.templateHash.slice(0, 8)}-[0-9a-f]{5}$`));
      expect((await pods.owned("web", nodeStatus)).map((p) => [p.templateHash, p.createdAt, p.readySince, p.deleting, p.phase])).to.deep.equal([
        [web.templateHash, 2000, undefined, false, "Pending"],
        [web.templateHash, 2000, undefined, false, "Pending"],
      ]);
      expect(await pods.owned("other", nodeStatus)).to.deep.equal([]);
      expect([...(await pods.ownedByDeployment(nodeStatus)).keys()]).to.deep.equal(["web"]);
    });

    it("is forgotten once being deleted and owning no pod", async () => {
      await apply(deployment("app:1"));
      const [web] = await store.list();
      await pods.createReplicas(web, 1, new Date(2000));
      expect(await store.removeIfEmpty("web")).to.equal(false); // not being deleted
      expect(await store.markDeleting("web", new Date(3000))).to.equal(true);
      expect(await store.removeIfEmpty("web")).to.equal(false); // still owns a pod
      for (const { name } of await pods.owned("web", nodeStatus)) await pods.remove((await pods.get(name))!.uid);
      expect(await store.removeIfEmpty("web")).to.equal(true);
      expect(await store.list()).to.deep.equal([]);
    });

    it("numbers each new template as a revision; a template seen before moves to the newest number, keeping whether it completed", async () => {
      await apply(deployment("app:1"));
      expect((await store.get("web"))!.rollout).to.deep.include({ revision: 1, state: "Progressing" });
      expect(await store.finishRollout("web", 1, { state: "Complete" }, new Date(1500))).to.equal(true);
      expect(await store.finishRollout("web", 1, { state: "Complete" }, new Date(1600))).to.equal(false); // ended already
      await apply(deployment("app:1", 5)); // replicas only: the same revision
      await apply(deployment("app:2"), 2000);
      expect((await store.get("web"))!.rollout).to.deep.include({ revision: 2, state: "Progressing", startedAt: new Date(2000) });
      await apply(deployment("app:1"), 3000);
      expect(await history()).to.deep.equal([
        [2, "app:2", undefined],
        [3, "app:1", 1500],
      ]);
    });

    it("keeps revisionHistoryLimit revisions before the current one", async () => {
      const limited = (image: string) => ({ ...deployment(image), spec: { ...deployment(image).spec, revisionHistoryLimit: 2 } });
      for (const [i, image] of ["app:1", "app:2", "app:3", "app:4", "app:5"].entries()) await apply(limited(image), 1000 + i);
      expect((await history()).map(([revision]) => revision)).to.deep.equal([3, 4, 5]);
    });

    it("changes the template for a rollback: spec, manifest as applied, a new revision saying what it rolls back from", async () => {
      await apply(deployment("app:1"));
      await store.finishRollout("web", 1, { state: "Complete" }, new Date(1500));
      await apply(deployment("app:2"), 2000);
      const [first] = await store.revisionsOf("web");
      const revision = await store.changeTemplate("web", first.template, new Date(3000), { from: 2, reason: "revision 2 failed: pod/x is CrashLoopBackOff" });
      expect(revision).to.equal(3);
      const web = (await store.get("web"))!;
      expect(web.templateHash).to.equal(first.templateHash);
      expect(web.spec.template.spec.containers[0].image).to.equal("app:1");
      expect((web.manifest as DeploymentResource).spec.template.spec.containers[0].image).to.equal("app:1");
      expect(web.rollout).to.deep.equal({
        revision: 3,
        state: "Progressing",
        message: "revision 2 failed: pod/x is CrashLoopBackOff",
        startedAt: new Date(3000),
        rolledBackFrom: 2,
      });
      // The same template again: nothing changes.
      expect(await store.changeTemplate("web", first.template, new Date(4000))).to.equal(3);
      expect(await store.changeTemplate("nothing", first.template, new Date(4000))).to.equal(undefined);
      // Applying the manifest again re-applies its template, as a new revision.
      expect(await apply(deployment("app:2"), 5000)).to.equal("configured");
      expect((await store.get("web"))!.rollout).to.deep.include({ revision: 4, rolledBackFrom: undefined });
    });
  });
