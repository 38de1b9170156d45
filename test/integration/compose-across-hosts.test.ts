import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { LocalCluster, type PodJson } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";
import { TestHosts } from "../helpers/test-hosts.js";

const execFileAsync = promisify(execFile);
const TAG = `t${process.pid}`;
/** Three images made here from the test busybox, as an application's own would be: a database, an API, a web tier. */
const IMAGES = { db: `cube-test/shop-db:${TAG}`, api: `cube-test/shop-api:${TAG}`, web: `cube-test/shop-web:${TAG}` };
const SCRIPTS: Record<keyof typeof IMAGES, string> = {
  // Answers on 5432 once it has read its password (a secret) into its data (a named volume), a little while after it starts.
  db: [
    "#!/bin/sh",
    "set -e",
    "mkdir -p /data/www",
    "cat /run/secrets/db_password > /data/www/password",
    "hostname >> /data/www/boots",
    "sleep 2",
    "exec httpd -f -p 5432 -h /data/www",
  ].join("\n"),
  // Fails at once when the database does not answer: had it started before the database was healthy, it would show a restart.
  api: [
    "#!/bin/sh",
    "set -e",
    'wget -q -O /dev/null "$DB_URL/password"',
    "mkdir -p /www/cgi-bin",
    "cat > /www/cgi-bin/data <<'EOF'",
    "#!/bin/sh",
    "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
    'echo "$GREETING, the password is $(wget -q -O - "$DB_URL/password")"',
    "EOF",
    "chmod +x /www/cgi-bin/data",
    "exec httpd -f -p 8000 -h /www",
  ].join("\n"),
  web: [
    "#!/bin/sh",
    "mkdir -p /www/cgi-bin",
    "cat > /www/cgi-bin/index <<'EOF'",
    "#!/bin/sh",
    "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
    'echo "web <- $(wget -q -O - "$API_URL/cgi-bin/data")"',
    "EOF",
    "chmod +x /www/cgi-bin/index",
    "exec httpd -f -p 8080 -h /www",
  ].join("\n"),
};

/** The Compose file as people write it: a database with a healthcheck, a secret from a file and a named volume; conditions. */
const composeFile = (greeting: string, withMigrate = true) =>
  [
    "name: shop",
    "x-quick: &quick",
    "  stop_grace_period: 1s",
    "secrets:",
    "  db_password:",
    "    file: ./db-password.txt",
    "volumes:",
    "  dbdata: {}",
    "services:",
    "  db:",
    "    <<: *quick",
    "    image: cube-test/shop-db:${TAG}",
    "    secrets: [db_password]",
    '    volumes: ["dbdata:/data"]',
    "    healthcheck:",
    '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5432/password"]',
    "      interval: 1s",
    "      retries: 2",
    "      start_period: 30s",
    "    deploy:",
    '      placement: {constraints: ["node.labels.host == 3"]}',
    ...(withMigrate
      ? [
          "  migrate:",
          "    <<: *quick",
          "    image: cube-test/shop-api:${TAG}",
          '    command: ["sh", "-c", "wget -q -O /dev/null $$DB_URL/password && echo migrated"]',
          "    environment: {DB_URL: http://db:5432}",
          '    restart: "no"',
          "    depends_on:",
          "      db: {condition: service_healthy}",
        ]
      : []),
    "  api:",
    "    <<: *quick",
    "    image: cube-test/shop-api:${TAG}",
    "    environment:",
    "      DB_URL: http://db:5432",
    `      GREETING: ${greeting}`,
    "    depends_on:",
    "      db: {condition: service_healthy}",
    "    healthcheck:",
    '      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8000/cgi-bin/data"]',
    "      interval: 1s",
    "      retries: 2",
    "    deploy:",
    "      replicas: 2",
    '      placement: {constraints: ["node.labels.host == 2"]}',
    "  web:",
    "    <<: *quick",
    "    image: cube-test/shop-web:${TAG}",
    "    environment: [API_URL=http://api:8000]",
    '    ports: ["8080:8080"]',
    "    depends_on:",
    "      api: {condition: service_healthy}",
    ...(withMigrate ? ["      migrate: {condition: service_completed_successfully}"] : []),
    "    deploy:",
    '      placement: {constraints: ["node.labels.host == 1"]}',
  ].join("\n");

const CUBE_HOSTS = [1, 2, 3];
/** A client outside the cluster. */
const OUTSIDE = 4;
const nodeOf = (host: number) => `shop-${host}`;

/**
 * A Compose application across three hosts (the leader on 1, followers on 2 and 3), each with its own engine: it
 * comes up in the order its conditions say, the web tier reaches the API and the database by their Compose names
 * across hosts, the published port answers on every host, a re-apply changes nothing, a changed file rolls only what
 * changed, --prune removes a service the file no longer has, delete -f removes it all.
 */
describe("a Compose application across hosts", function () {
  this.timeout(600_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;
  let folder: string;
  const password = `s3cret-${Math.random().toString(36).slice(2, 8)}`;

  const composePath = () => join(folder, "compose.yaml");
  const apply = async (...flags: string[]) => {
    const result = await cluster.cube(["apply", "-f", composePath(), ...flags]);
    expect(result.code, result.stderr).to.equal(0);
    return result.stdout.trim().split("\n");
  };
  const pods = async () =>
    JSON.parse(await cluster.cubeOk("list", "pod", "-l", "cube.dev/app=shop", "-o", "json")) as { name: string; status: string; node: string | null }[];
  /** The pods of a Compose service, each with its name and as `get` shows it. */
  const podsOf = async (service: string) =>
    Promise.all(
      (JSON.parse(await cluster.cubeOk("list", "pod", "-l", `cube.dev/service=${service}`, "-o", "json")) as { name: string }[]).map(async (pod) => ({
        ...(await cluster.pod(pod.name)),
        name: pod.name,
      })),
    );
  /** From the outside host, a GET of http://ADDRESS:8080/cgi-bin/index: the body, or "FAIL …". */
  const askWeb = async (address: string) => {
    const script = `fetch("http://${address}:8080/cgi-bin/index", { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).then((t) => console.log(t.trim()), (e) => console.log("FAIL " + (e.cause?.code ?? e.name)))`;
    return (await hosts.run(OUTSIDE, process.execPath, "-e", script)).trim();
  };
  /** Waits until web answers with `greeting` through every host's port 8080; the answers. */
  const everyHostAnswers = (greeting: string) =>
    Promise.all(
      CUBE_HOSTS.map(async (host) => {
        let last = "";
        try {
          return await eventually(
            `web through host ${host}`,
            async () => {
              last = await askWeb(hosts.address(host));
              return last === `web <- ${greeting}, the password is ${password}` ? last : undefined;
            },
            60_000,
          );
        } catch (error) {
          throw new Error(`${(error as Error).message}; its last answer: ${last}`);
        }
      }),
    );

  before(async () => {
    const context = join(process.env.TMPDIR ?? "/tmp", `shop-images-${TAG}`);
    for (const [tier, image] of Object.entries(IMAGES) as [keyof typeof IMAGES, string][]) {
      mkdirSync(join(context, tier), { recursive: true });
      writeFileSync(join(context, tier, "run"), SCRIPTS[tier], { mode: 0o755 });
      writeFileSync(join(context, tier, "Dockerfile"), `FROM cube-test/busybox:latest\nCOPY run /bin/shop-${tier}\nCMD ["/bin/shop-${tier}"]\n`);
      await execFileAsync("docker", ["build", "-q", "-t", image, join(context, tier)], { env: { ...process.env, DOCKER_BUILDKIT: "0" } });
    }
    hosts = await TestHosts.up(CUBE_HOSTS.length + 1, ["cube-test/busybox:latest", ...Object.values(IMAGES)]);
    cluster = new LocalCluster(2, [], hosts);
    await cluster.startLeader(nodeOf(1), 0, ["--label", "host=1"], 1);
    for (const host of [2, 3]) cluster.startFollower(nodeOf(host), { host, extraArgs: ["--label", `host=${host}`] });
    await cluster.waitForNodes(CUBE_HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
    folder = join(cluster.dir.path, "shop");
    mkdirSync(folder);
    writeFileSync(join(folder, "db-password.txt"), password);
    writeFileSync(join(folder, ".env"), `TAG=${TAG}\n`);
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      process.stderr.write(`${cluster.recentOutput()}\n`);
      process.stderr.write(`${(await cluster.cube(["list", "-o", "wide"])).stdout}\n`);
      for (const pod of await pods()) process.stderr.write(`${(await cluster.cube(["get", `pod/${pod.name}`])).stdout}\n`);
      process.stderr.write(`${(await cluster.cube(["get", "service/web"])).stdout}\n`);
      for (const host of CUBE_HOSTS) {
        const nat = (await hosts.run(host, "iptables-save", "-t", "nat")).split("\n").filter((line) => /CUBE/.test(line));
        process.stderr.write(`host ${host}'s nat rules:\n${nat.join("\n")}\n`);
      }
    }
  });
  after(async () => {
    await cluster?.stop();
    await hosts?.down();
    await execFileAsync("docker", ["image", "rm", ...Object.values(IMAGES)]).catch(() => undefined);
  });

  it("comes up in dependency order; the web tier reaches the API and the database by name across hosts; port 8080 answers on every host", async () => {
    writeFileSync(composePath(), composeFile("hello"));
    expect(await apply()).to.deep.equal([
      "secret/shop-db-password created",
      "pod/db created",
      "deployment/migrate created (revision 1)",
      "deployment/api created (revision 1)",
      "deployment/web created (revision 1)",
      "service/web created",
    ]);
    await everyHostAnswers("hello");
    const [web] = await podsOf("web");

    // Where the constraints put them: a hop between hosts at each tier.
    const [db] = await podsOf("db");
    const api = await podsOf("api");
    expect([db.node, ...api.map((pod) => pod.node), web.node]).to.deep.equal([nodeOf(3), nodeOf(2), nodeOf(2), nodeOf(1)]);
    // Held back until what they depend on held: said by an event; the API never started early (it fails without the database).
    const waited = (pod: PodJson) => pod.events.filter((event) => event.reason === "Waiting").map((event) => event.message);
    for (const pod of api) {
      expect(waited(pod)).to.deep.equal([`waiting for db to be ready before placing pod/${pod.name}`]);
      expect(pod.containers.map((c) => c.restartCount)).to.deep.equal([0]);
    }
    expect(waited(web)[0]).to.match(/^waiting for (api to be ready|migrate to succeed|api, which has no pod yet) before placing pod\/web-/);
    const [migrate] = await podsOf("migrate");
    expect(migrate.status).to.equal("Succeeded");
    expect(await cluster.cubeOk("logs", `pod/${migrate.name}`)).to.match(/migrated\n$/);
    expect(await cluster.cubeOk("exec", "pod/db", "--", "cat", "/run/secrets/db_password")).to.equal(password);
  });

  it("says unchanged for every resource when the same file is applied again", async () => {
    const lines = await apply();
    expect(lines).to.have.length(6);
    expect(lines.filter((line) => !line.endsWith(" unchanged"))).to.deep.equal([]);
  });

  it("rolls only the service whose part of the file changed", async () => {
    const before = new Map((await pods()).map((pod) => [pod.name, pod.status]));
    writeFileSync(composePath(), composeFile("bonjour"));
    expect(await apply()).to.deep.equal([
      "secret/shop-db-password unchanged",
      "pod/db unchanged",
      "deployment/migrate unchanged",
      "deployment/api configured (revision 2)",
      "deployment/web unchanged",
      "service/web unchanged",
    ]);
    await everyHostAnswers("bonjour");
    await cluster.cubeOk("rollout", "status", "deployment/api", "--timeout", "120s");
    const after = await pods();
    const kept = after.filter((pod) => before.has(pod.name)).map((pod) => pod.name);
    const replaced = [...before.keys()].filter((name) => !kept.includes(name));
    expect(replaced.length, "the API's two pods replaced").to.equal(2);
    expect(replaced.every((name) => name.startsWith("api-"))).to.equal(true);
    expect(kept.filter((name) => !name.startsWith("api-")).length).to.equal(3); // db, migrate's, web's
  });

  it("prunes the service the file no longer has (--prune), and delete -f removes it all, on every host", async () => {
    writeFileSync(composePath(), composeFile("bonjour", false));
    expect(await apply("--prune", "--dry-run")).to.deep.equal([
      "secret/shop-db-password unchanged (dry run)",
      "pod/db unchanged (dry run)",
      "deployment/api unchanged (dry run)",
      "deployment/web configured (revision 2, dry run)",
      "service/web unchanged (dry run)",
      "deployment/migrate pruned (dry run)",
    ]);
    expect(await podsOf("migrate")).to.have.length(1);
    expect(await apply("--prune")).to.deep.equal([
      "secret/shop-db-password unchanged",
      "pod/db unchanged",
      "deployment/api unchanged",
      "deployment/web configured (revision 2)",
      "service/web unchanged",
      "deployment/migrate pruned",
    ]);
    await eventually("migrate gone", async () => ((await podsOf("migrate")).length === 0 ? true : undefined), 60_000);
    await everyHostAnswers("bonjour");

    const deleted = await cluster.cube(["delete", "-f", composePath()]);
    expect(deleted.code, deleted.stderr).to.equal(0);
    expect((await cluster.cubeOk("list", "-l", "cube.dev/app=shop", "-o", "name")).trim()).to.equal("");
    for (const host of CUBE_HOSTS) {
      const left = await eventually(
        `host ${host}'s pod containers gone`,
        async () => {
          const containers = (await hosts.docker(host, "ps", "-aq", "--filter", "label=cube.pod")).trim();
          return containers === "" ? true : undefined;
        },
        60_000,
      );
      expect(left).to.equal(true);
    }
    expect(await askWeb(hosts.address(1))).to.match(/^FAIL/);
  });
});
