import { join } from "node:path";
import { expect } from "chai";
import { sql } from "kysely";
import { agentMigrations } from "../../src/agent/agent-migrations.js";
import { AgentStore } from "../../src/agent/agent-store.js";
import { openDatabase } from "../../src/shared/open-database.js";
import { placed, webPod } from "../helpers/pod-fixtures.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("AgentStore", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("agent-store")));
  afterEach(() => dir.remove());

  it("tears down what the leader flags as deleting and what it leaves out, saying which", async () => {
    const store = await AgentStore.open(join(dir.path, "agent.db"));
    const pod = (suffix: string, deleting = false) => placed(webPod({ uid: `uid-${suffix}`, name: `web-${suffix}` }), deleting);
    await store.replaceAssignments([pod("a"), pod("b"), pod("c")]);
    await store.replaceAssignments([pod("a"), pod("b", true)]);
    // A pod being deleted stays deleted when it is then left out.
    await store.replaceAssignments([pod("a")]);
    expect((await store.localPods()).map((p) => `${p.name} ${p.termination ?? "runs"}`)).to.deep.equal(["web-a runs", "web-b deleted", "web-c unassigned"]);
    await store.close();
  });

  it("parses a spec once while its hash stays, and the new one when it changes", async () => {
    const store = await AgentStore.open(join(dir.path, "agent.db"));
    await store.replaceAssignments([placed(webPod())]);
    const [first] = await store.localPods();
    const [again] = await store.localPods();
    expect(again.spec).to.equal(first.spec); // the same object: not parsed again
    const changed = webPod({ specHash: "hash-2", spec: { ...webPod().spec, terminationGracePeriodSeconds: 9 } });
    await store.replaceAssignments([placed(changed)]);
    const [after] = await store.localPods();
    expect(after.spec).to.not.equal(first.spec);
    expect(after.spec.terminationGracePeriodSeconds).to.equal(9);
    await store.close();
  });

  it("takes a database of the version before, its pods being torn down kept so", async () => {
    const file = join(dir.path, "agent.db");
    const before = Object.fromEntries(Object.entries(agentMigrations).filter(([name]) => name < "0004"));
    const old = await openDatabase<unknown>(file, before);
    await sql`insert into pods (uid, name, labels_json, spec_json, spec_hash, terminating) values ('u1', 'kept', '{}', ${JSON.stringify(webPod().spec)}, 'h', 0), ('u2', 'going', '{}', ${JSON.stringify(webPod().spec)}, 'h', 1)`.execute(
      old.db,
    );
    await old.close();

    const store = await AgentStore.open(file);
    expect((await store.localPods()).map((p) => `${p.name} ${p.termination ?? "runs"}`)).to.deep.equal(["going unassigned", "kept runs"]);
    await store.close();
  });
});
