import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { KEYED_VOLUMES_DIR } from "../../src/agent/keyed/keyed-volume-host.js";
import * as grpc from "@grpc/grpc-js";
import { CubeClient } from "../../src/gen/cube.js";
import { grpcClientOptions } from "../../src/shared/grpc-client-options.js";
import { containersWithLabels, dockerExec, keyedVolumePods } from "../helpers/docker.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
const SERVE_FOREVER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];

// Secrets and configs on real Docker: a leader (which runs no pod) and two followers on the machine's engine; pods
// are placed on the one labelled "secrets=here", so that the other is a node that must hold nothing.
describe("secrets and configs on real Docker", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(5);
  const prefix = `k${Math.random().toString(36).slice(2, 7)}`;
  const nodes = { leader: `${prefix}-main`, runs: `${prefix}-runs`, idle: `${prefix}-idle` };
  const password = `pw-${Math.random().toString(36).slice(2, 12)}-first`;
  const newPassword = `pw-${Math.random().toString(36).slice(2, 12)}-second`;

  const secret = (name: string, data: Record<string, string>) => ({ type: "secret", metadata: { name }, data });
  const pod = (name: string, spec: object) => ({
    type: "pod",
    metadata: { name },
    spec: {
      nodeSelector: { secrets: "here" },
      terminationGracePeriodSeconds: 1,
      containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER }],
      ...spec,
    },
  });
  const mainContainer = async (name: string) => {
    const [container] = (await containersWithLabels(`cube.pod=${name}`, "cube.container=main")).filter((c) => c.labels["cube.node"] === nodes.runs);
    return container.id;
  };
  /** Every byte the leader's database holds (the file and its WAL). */
  const leaderDatabase = () => {
    const dir = join(cluster.dir.path, nodes.leader);
    return Buffer.concat(
      readdirSync(dir)
        .filter((file) => file.startsWith("leader.db"))
        .map((file) => readFileSync(join(dir, file))),
    );
  };
  const volumesOf = (node: string) => keyedVolumePods(join(cluster.dir.path, node));

  before(async () => {
    await cluster.startLeader(nodes.leader, undefined, ["--pods-on-leader", "no"]);
    cluster.startFollower(nodes.runs, { extraArgs: ["--label", "secrets=here"] });
    cluster.startFollower(nodes.idle);
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
  });
  after(() => cluster.stop());

  it("mounts a secret's keys on a tmpfs, mode 0400, and sets env from it; its value is nowhere in the leader's database nor in `get`", async () => {
    await cluster.apply("db", [
      secret("db-password", { password }),
      pod("reader", {
        containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER, env: { DB_PASSWORD: { secretKeyRef: { name: "db-password", key: "password" } } } }],
        volumes: [{ name: "db", secret: { name: "db-password" } }],
      }),
    ]);
    await cluster.waitForPodStatus("reader", "Running");
    const id = await mainContainer("reader");
    expect(await dockerExec(id, ["cat", "/run/secrets/db-password/password"])).to.equal(password);
    expect((await dockerExec(id, ["stat", "-L", "-c", "%a", "/run/secrets/db-password/password"])).trim()).to.equal("400");
    const mount = (await dockerExec(id, ["cat", "/proc/mounts"])).split("\n").find((line) => line.split(" ")[1] === "/run/secrets/db-password");
    expect(mount?.split(" ").slice(2, 4).join(" ")).to.match(/^tmpfs ro,/);
    expect(await dockerExec(id, ["sh", "-c", "echo $DB_PASSWORD"])).to.equal(`${password}\n`);

    expect(leaderDatabase().includes(Buffer.from(password))).to.equal(false);
    for (const format of ["yaml", "json", "table"]) {
      const shown = await cluster.cubeOk("get", "secret/db-password", ...(format === "table" ? [] : ["-o", format]));
      expect(shown).to.not.include(password);
      expect(shown).to.include("password");
    }
    expect(await cluster.cubeOk("get", "secret/db-password")).to.match(/reader +\| 1\b/);
    expect(await cluster.cubeOk("get", "pod/reader")).to.include("Uses:     secret/db-password (revision 1)");
    // The node that runs no pod using it holds nothing of it: no volume, and nothing in memory by what it reports.
    expect(await volumesOf(nodes.idle)).to.deep.equal([]);
    expect(await volumesOf(nodes.runs)).to.have.length(1);
    expect(await cluster.cubeOk("get", `node/${nodes.idle}`)).to.include("Holds:       <no secret or config>\n");
    await eventually("the node to say what it holds", async () =>
      (await cluster.cubeOk("get", `node/${nodes.runs}`)).includes("Holds:       secret/db-password\n") ? true : undefined,
    );
    // Nor is its agent database, on either node.
    for (const node of [nodes.runs, nodes.idle]) expect(readFileSync(join(cluster.dir.path, node, "agent.db")).includes(Buffer.from(password))).to.equal(false);
  });

  it("refuses a node's certificate that asks the leader for a secret", async () => {
    const dir = join(cluster.dir.path, nodes.idle);
    const credentials = grpc.credentials.createSsl(
      readFileSync(join(dir, "trusted-ca.pem")),
      readFileSync(join(dir, "node-key.pem")),
      readFileSync(join(dir, "node.pem")),
    );
    // Even with the admin password, as a node with a shell could read it off a careless admin.
    const client = new CubeClient(cluster.leaderAddress, credentials, {
      ...grpcClientOptions(cluster.adminPassword()),
      "grpc.ssl_target_name_override": "localhost", // a name the leader's certificate has (this client does not check Cube's own)
    });
    try {
      const refusal = await new Promise<grpc.ServiceError | null>((resolve) => client.get({ type: "secret", name: "db-password" }, (error) => resolve(error)));
      expect(`${grpc.status[refusal!.code]}: ${refusal!.details}`).to.equal("PERMISSION_DENIED: a node's certificate cannot call the admin API");
    } finally {
      client.close();
    }
  });

  it("changes a mounted file within 5 s of a new value, and rolls out a deployment that uses it", async () => {
    await cluster.apply("web", [
      {
        type: "deployment",
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              nodeSelector: { secrets: "here" },
              terminationGracePeriodSeconds: 1,
              containers: [
                { name: "main", image: IMAGE, command: SERVE_FOREVER, env: { DB_PASSWORD: { secretKeyRef: { name: "db-password", key: "password" } } } },
              ],
            },
          },
        },
      },
    ]);
    await cluster.cubeOk("rollout", "status", "deployment/web", "--timeout", "60s");
    const before = (await cluster.cubeOk("list", "pod", "-l", "app=web", "-o", "name")).trim();
    const reader = await mainContainer("reader");
    const changedAt = Date.now();
    expect(await cluster.cubeOk("create", "secret", "db-password", "--from-literal", `password=${newPassword}`)).to.equal("secret/db-password configured\n");
    await eventually(
      "the mounted file to change",
      async () => ((await dockerExec(reader, ["cat", "/run/secrets/db-password/password"])) === newPassword ? true : undefined),
      5000,
      100,
    );
    expect(Date.now() - changedAt).to.be.below(5000);
    await eventually(
      "a new replica of web",
      async () => {
        const now = (await cluster.cubeOk("list", "pod", "-l", "app=web", "-o", "name")).trim();
        return now !== before && now.split("\n").length === 1 ? now : undefined;
      },
      60_000,
    );
    await cluster.cubeOk("rollout", "status", "deployment/web", "--timeout", "60s");
    const [replica] = (await containersWithLabels("cube.container=main")).filter(
      (c) => c.labels["cube.pod"]?.startsWith("web-") && c.labels["cube.node"] === nodes.runs,
    );
    expect(await dockerExec(replica.id, ["sh", "-c", "echo $DB_PASSWORD"])).to.equal(`${newPassword}\n`);
    expect(await cluster.cubeOk("get", "secret/db-password")).to.include("Revision:  2");
  });

  it("holds a pod that names a missing secret or key with CreateContainerConfigError, and starts it once it exists", async () => {
    await cluster.apply("waits", [
      pod("waits", {
        containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER, env: { TOKEN: { secretKeyRef: { name: "api", key: "token" } } } }],
        volumes: [{ name: "conf", config: { name: "settings" } }],
      }),
    ]);
    const waiting = await cluster.waitForPodStatus("waits", "CreateContainerConfigError");
    expect(waiting.message).to.match(/(secret "api"|config "settings") not found/);
    await cluster.apply("settings", [{ type: "config", metadata: { name: "settings" }, data: { "app.ini": "mode=fast\n" } }, secret("api", { other: "x" })]);
    expect((await cluster.waitForPodStatus("waits", "CreateContainerConfigError")).message).to.equal(
      'container main: couldn\'t find key token in secret "api"',
    );
    await cluster.cubeOk("create", "secret", "api", "--from-literal", "token=t0ken");
    await cluster.waitForPodStatus("waits", "Running");
    const id = await mainContainer("waits");
    expect(await dockerExec(id, ["sh", "-c", "echo $TOKEN; cat /run/configs/settings/app.ini"])).to.equal("t0ken\nmode=fast\n");
  });

  it("mounts one key of a secret alone as a file (subPath), as Compose mounts its secrets", async () => {
    await cluster.apply("single", [
      pod("single", {
        containers: [
          {
            name: "main",
            image: IMAGE,
            command: SERVE_FOREVER,
            volumeMounts: [{ name: "token", mountPath: "/run/secrets/api_token", subPath: "token" }],
          },
        ],
        volumes: [{ name: "token", secret: { name: "api", items: [{ key: "token", path: "token", mode: 0o444 }] } }],
      }),
    ]);
    await cluster.waitForPodStatus("single", "Running");
    const id = await mainContainer("single");
    expect(
      await dockerExec(id, ["sh", "-c", "cat /run/secrets/api_token; stat -c %a /run/secrets/api_token; test -f /run/secrets/api_token && echo file"]),
    ).to.equal("t0ken444\nfile\n");
    await cluster.cubeOk("delete", "pod/single");
  });

  it("rotates the key that seals secrets while pods keep running, and a deleted pod's volume leaves its node", async () => {
    expect(await cluster.cubeOk("secrets", "rotate-key")).to.match(
      /^secrets key rotated: 2 secrets encrypted again under key [0-9a-f]{8}; the old key is gone\n$/,
    );
    expect(leaderDatabase().includes(Buffer.from(newPassword))).to.equal(false);
    await cluster.cubeOk("delete", "pod/reader", "pod/waits");
    await cluster.cubeOk("delete", "deployment/web");
    await eventually("the node's volumes gone", async () => ((await volumesOf(nodes.runs)).length === 0 ? true : undefined), 30_000);
    await eventually("the node to hold nothing", async () =>
      (await cluster.cubeOk("get", `node/${nodes.runs}`)).includes("Holds:       <no secret or config>\n") ? true : undefined,
    );
    const mounted = readFileSync("/proc/self/mountinfo", "utf8").includes(join(cluster.dir.path, nodes.runs, KEYED_VOLUMES_DIR));
    expect(mounted).to.equal(false);
  });
});
