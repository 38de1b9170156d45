import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";

// A Compose file applied as it is, on real Docker: its services run, a secret from a file and an env file reach them,
// a service reaches another by its Compose name, applying it again changes nothing, delete -f removes it all.
describe("Compose files applied as they are, on real Docker", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(5);
  let folder: string;

  before(async () => {
    await cluster.startLeader(`c${Math.random().toString(36).slice(2, 7)}`);
    await eventually("a Ready node", async () => ((await cluster.nodes()).some((n) => n.status === "Ready") ? true : undefined));
    folder = join(cluster.dir.path, "shop");
    mkdirSync(folder);
    writeFileSync(join(folder, "db-password.txt"), "s3cret-from-a-file");
    writeFileSync(join(folder, "app.env"), "GREETING=hello from app.env\n");
    writeFileSync(join(folder, ".env"), "TAG=latest\n");
    writeFileSync(
      join(folder, "compose.yaml"),
      [
        "x-common: &common",
        "  image: cube-test/busybox:${TAG}",
        "  stop_grace_period: 1s",
        "secrets:",
        "  db_password: {file: ./db-password.txt}",
        "services:",
        "  db:",
        "    <<: *common",
        '    command: ["peer-echo", "serve", "tcp", "5432"]',
        "    secrets: [db_password]",
        "  web:",
        "    <<: *common",
        "    command: sh -c 'trap \"exit 0\" TERM; while true; do sleep 1; done'",
        "    env_file: app.env",
        "    environment: {DB_HOST: db}",
        "    depends_on: [db]",
      ].join("\n"),
    );
  });
  after(() => cluster.stop());

  it("runs the services, with the secret as a file and the env file; web reaches db by its Compose name", async () => {
    const applied = await cluster.cube(["apply", "-f", join(folder, "compose.yaml")]);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.equal("secret/shop-db-password created\ndeployment/db created (revision 1)\ndeployment/web created (revision 1)\n");
    expect(applied.stderr).to.equal("");
    const web = await eventually(
      "web Running",
      async () => {
        const pods = JSON.parse(await cluster.cubeOk("list", "pod", "-l", "cube.dev/app=shop", "-o", "json")) as { name: string; status: string }[];
        return pods.length === 2 && pods.every((pod) => pod.status === "Running") ? pods.find((pod) => pod.name.startsWith("web-"))!.name : undefined;
      },
      60_000,
    );
    const db = (JSON.parse(await cluster.cubeOk("list", "pod", "-l", "cube.dev/service=db", "-o", "json")) as { name: string }[])[0].name;
    expect(await cluster.cubeOk("exec", `pod/${db}`, "--", "cat", "/run/secrets/db_password")).to.equal("s3cret-from-a-file");
    expect(await cluster.cubeOk("exec", `pod/${web}`, "--", "sh", "-c", "echo $GREETING; peer-echo ask tcp $DB_HOST 5432")).to.match(
      /^hello from app\.env\n10\.42\./,
    );
  });

  it("changes nothing when applied again, and delete -f removes it all", async () => {
    expect(await cluster.cubeOk("apply", "-f", join(folder, "compose.yaml"))).to.equal(
      "secret/shop-db-password unchanged\ndeployment/db unchanged\ndeployment/web unchanged\n",
    );
    expect((await cluster.cube(["delete", "-f", join(folder, "compose.yaml")])).code).to.equal(0);
    await eventually("nothing of the application left", async () =>
      (await cluster.cubeOk("list", "-l", "cube.dev/app=shop", "-o", "name")).trim() === "" ? true : undefined,
    );
    expect((await cluster.cube(["get", "secret/shop-db-password"])).code).to.equal(1);
  });

  it("gives a replicated service's named volume one per node, shared by its replicas there and found again by new ones", async () => {
    const cache = join(cluster.dir.path, "cache");
    mkdirSync(cache);
    writeFileSync(
      join(cache, "compose.yaml"),
      [
        "volumes: {shared: {}}",
        "services:",
        "  cache:",
        "    image: cube-test/busybox:latest",
        "    command: sh -c 'hostname >> /shared/seen; trap \"exit 0\" TERM; while true; do sleep 1; done'",
        '    volumes: ["shared:/shared"]',
        "    stop_grace_period: 1s",
        "    deploy: {replicas: 2}",
      ].join("\n"),
    );
    const applied = await cluster.cube(["apply", "-f", cache]);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.equal("deployment/cache created (revision 1)\n");
    const running = async (count: number) =>
      eventually(
        `${count} cache replicas running`,
        async () => {
          const pods = JSON.parse(await cluster.cubeOk("list", "pod", "-l", "cube.dev/app=cache", "-o", "json")) as { name: string; status: string }[];
          const up = pods.filter((pod) => pod.status === "Running");
          return up.length === count && pods.length === count ? up.map((pod) => pod.name) : undefined;
        },
        60_000,
      );
    const [first, second] = await running(2);
    const seen = async (pod: string) => (await cluster.cubeOk("exec", `pod/${pod}`, "--", "cat", "/shared/seen")).trim().split("\n");
    // Both replicas wrote into the one volume: each sees the other's line.
    await eventually("both replicas' lines", async () => ((await seen(first)).length === 2 ? true : undefined), 10_000);
    expect(await seen(second)).to.deep.equal(await seen(first));
    // A new template replaces both: the new replicas find what the old ones wrote.
    await cluster.cubeOk("rollout", "restart", "deployment/cache");
    await cluster.cubeOk("rollout", "status", "deployment/cache", "--timeout", "60s");
    const [renewed] = await running(2);
    expect([first, second]).to.not.include(renewed);
    await eventually("the new replicas' lines after the old ones'", async () => ((await seen(renewed)).length === 4 ? true : undefined), 10_000);
    expect((await cluster.cube(["delete", "-f", cache])).code).to.equal(0);
  });
});
