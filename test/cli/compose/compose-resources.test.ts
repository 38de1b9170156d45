import { expect } from "chai";
import { composeDuration } from "../../../src/cli/compose/compose-fields.js";
import { composeResources } from "../../../src/cli/compose/compose-resources.js";
import { readCompose } from "../../../src/cli/compose/read-compose.js";
import { isComposeDocument } from "../../../src/cli/compose/compose-vocabulary.js";

const env: Record<string, string> = { TAG: "2.1", DB_USER: "app", API_KEY: "key-from-env" };
/** The files next to the Compose file. */
const files: Record<string, string> = { "app.env": "FROM_FILE=yes\nLEVEL=from-file\n", "db-password.txt": "s3cret\n" };

/** A Compose text as resources: each deployment's and service's spec in short, and the warnings and problems. */
function convert(text: string) {
  const read = readCompose(text, "compose.yaml", (name) => env[name]);
  if (!read.file) return { problems: read.problems, warnings: read.warnings, resources: [] as Record<string, any>[] };
  const out = composeResources(read.file, "shop", {
    readFile: (path) => {
      if (path in files) return Buffer.from(files[path]);
      throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    },
    resolvePath: (path) => (path.startsWith("/") ? path : `/project/${path.replace(/^\.\//, "")}`),
    env: (name) => env[name],
  });
  return { problems: out.problems, warnings: [...read.warnings, ...out.warnings], resources: out.resources as Record<string, any>[] };
}
const container = (resources: Record<string, any>[], name: string) =>
  resources.find((r) => r.type === "deployment" && r.metadata.name === name)!.spec.template.spec.containers[0];

describe("Compose files as Cube resources", () => {
  it("is told by content: a top-level services map, and no Cube type", () => {
    expect([isComposeDocument({ services: {} }), isComposeDocument({ type: "pod", services: {} }), isComposeDocument({ services: [] })]).to.deep.equal([
      true,
      false,
      false,
    ]);
  });

  it("makes a deployment per service, named after it, kept together by the application's labels", () => {
    const { resources, problems, warnings } = convert("services:\n  web_app:\n    image: nginx:${TAG}\n    deploy: {replicas: 3}\n");
    expect([problems, warnings]).to.deep.equal([[], []]);
    expect(resources).to.deep.equal([
      {
        type: "deployment",
        metadata: { name: "web-app", labels: { "cube.dev/app": "shop", "cube.dev/service": "web-app" } },
        spec: {
          replicas: 3,
          template: {
            metadata: { labels: { "cube.dev/app": "shop", "cube.dev/service": "web-app" } },
            spec: { containers: [{ name: "web-app", image: "nginx:2.1" }] },
          },
        },
      },
    ]);
  });

  it("reads command and entrypoint as a list or shell words, environment as a map or a list", () => {
    const { resources } = convert(
      [
        "services:",
        "  api:",
        "    image: api",
        "    entrypoint: /bin/app --config '/etc/app config.yml'",
        '    command: ["serve", "--port", "8080"]',
        "    environment: [MODE=prod, USER=$DB_USER, EMPTY=]",
        "  worker:",
        "    image: worker",
        "    environment: {LEVEL: 3, FLAG: null}",
      ].join("\n"),
    );
    expect(container(resources, "api")).to.deep.include({
      command: ["/bin/app", "--config", "/etc/app config.yml"],
      args: ["serve", "--port", "8080"],
      env: { MODE: "prod", USER: "app", EMPTY: "" },
    });
    expect(container(resources, "worker").env).to.deep.equal({ LEVEL: "3", FLAG: "" });
  });

  it("gives a service named after it the container's ports, published ones (or, without a number, the leader's choice) as node ports", () => {
    const { resources, problems, warnings } = convert(
      [
        "services:",
        "  web:",
        "    image: web",
        '    ports: ["8080:80", "9000-9001:9000-9001/udp", {target: 443, published: 8443}, "3000", "127.0.0.1:5432:5432", "8081:80"]',
        '    expose: ["9090", "80"]',
      ].join("\n"),
    );
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([
      "read differently by Cube:\n  compose.yaml:4: 127.0.0.1:5432:5432: answered on every address of every node (a node port is not bound to one address)",
    ]);
    const service = resources.find((r) => r.type === "service")!;
    expect(service.spec.type).to.equal("NodePort");
    expect(
      service.spec.ports.map((p: Record<string, unknown>) => `${p.port}→${p.targetPort}/${p.protocol}${p.nodePort ? ` node ${p.nodePort}` : ""}`),
    ).to.deep.equal([
      "80→80/tcp node 8080",
      "9000→9000/udp node 9000",
      "9001→9001/udp node 9001",
      "443→443/tcp node 8443",
      "3000→3000/tcp",
      "5432→5432/tcp node 5432",
      "8081→80/tcp node 8081",
      "9090→9090/tcp",
    ]);
    expect(container(resources, "web").ports.map((p: Record<string, unknown>) => `${p.containerPort}/${p.protocol}`)).to.deep.equal([
      "80/tcp",
      "9000/udp",
      "9001/udp",
      "443/tcp",
      "3000/tcp",
      "5432/tcp",
      "9090/tcp",
    ]);
  });

  it("reads healthcheck as readiness and liveness probes, restart as the restart policy, stop_grace_period in Go's durations", () => {
    const { resources } = convert(
      [
        "services:",
        "  db:",
        "    image: postgres",
        "    restart: unless-stopped",
        "    stop_grace_period: 1m30s",
        "    healthcheck: {test: pg_isready -U app, interval: 5s, timeout: 2s, retries: 5, start_period: 10s}",
        "  once:",
        "    image: job",
        '    restart: "no"',
        '    healthcheck: {test: ["NONE"]}',
      ].join("\n"),
    );
    const db = resources.find((r) => r.metadata.name === "db")!.spec.template.spec;
    const probe = { exec: { command: ["sh", "-c", "pg_isready -U app"] }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 5 };
    expect(db).to.deep.include({ restartPolicy: "Always", terminationGracePeriodSeconds: 90 });
    // Ready at the first success; the start period spares it a restart only.
    expect(db.containers[0]).to.deep.include({ readinessProbe: probe, livenessProbe: { ...probe, initialDelaySeconds: 10 } });
    const once = resources.find((r) => r.metadata.name === "once")!.spec.template.spec;
    expect([once.restartPolicy, once.containers[0].readinessProbe]).to.deep.equal(["Never", undefined]);
    expect([composeDuration("1h2m3s"), composeDuration("500ms"), composeDuration("10"), composeDuration("5 s")]).to.deep.equal([
      3_723_000,
      500,
      undefined,
      undefined,
    ]);
  });

  it("reads depends_on as dependsOn: a list waits for a start, a map for its condition; refuses what could never hold", () => {
    const { resources, problems, warnings } = convert(
      [
        "services:",
        "  db:",
        "    image: postgres",
        "    healthcheck: {test: [CMD, pg_isready]}",
        "  migrate:",
        "    image: app",
        "    depends_on: {db: {condition: service_healthy, restart: true}}",
        "  api:",
        "    image: app",
        "    depends_on: [db]",
        "  web_ui:",
        "    image: web",
        "    depends_on:",
        "      migrate: {condition: service_completed_successfully}",
        "      api: {condition: service_started}",
        "      cache: {condition: service_started, required: false}",
      ].join("\n"),
    );
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([
      "not read by Cube (it runs the rest without them):\n  compose.yaml:7: restart (a dependant is not restarted when what it depends on is)",
    ]);
    const dependsOn = (name: string) => resources.find((r) => r.type === "deployment" && r.metadata.name === name)!.spec.template.spec.dependsOn;
    expect(dependsOn("db")).to.equal(undefined);
    expect(dependsOn("migrate")).to.deep.equal([{ name: "db", condition: "Ready" }]);
    expect(dependsOn("api")).to.deep.equal([{ name: "db", condition: "Started" }]);
    expect(dependsOn("web-ui")).to.deep.equal([
      { name: "migrate", condition: "Succeeded" },
      { name: "api", condition: "Started" },
    ]);

    const refused = convert(
      [
        "services:",
        "  a:",
        "    image: x",
        "    depends_on: [b]",
        "  b:",
        "    image: x",
        "    depends_on: {c: {condition: service_healthy}}",
        "  c:",
        "    image: x",
        "    depends_on: {a: {condition: service_ready}, nowhere: {}}",
      ].join("\n"),
    );
    expect(refused.problems).to.deep.equal([
      'compose.yaml:7: service_healthy: "c" has no healthcheck, so it would never be healthy',
      "compose.yaml:10: must be service_started, service_healthy or service_completed_successfully",
      'compose.yaml:10: no service "nowhere" in the file',
      "compose.yaml:4: a cycle: a → b → c → a (nothing in it would ever start)",
    ]);
  });

  it("resolves anchors, merge keys and extends; drops x- extensions", () => {
    const { resources, warnings } = convert(
      [
        "x-common: &common",
        "  image: base:1",
        "  environment: {A: a}",
        "services:",
        "  one:",
        "    <<: *common",
        "    environment: {B: b}",
        "  base:",
        "    image: base:2",
        "    environment: {C: c}",
        "  two:",
        "    extends: base",
        "    environment: {D: d}",
      ].join("\n"),
    );
    expect(warnings).to.deep.equal([]);
    expect([container(resources, "one"), container(resources, "two")].map((c) => [c.image, c.env])).to.deep.equal([
      ["base:1", { B: "b" }],
      ["base:2", { C: "c", D: "d" }],
    ]);
  });

  it("names every field it does not read, with its line, in one warning; says a variable not set", () => {
    const { warnings, problems } = convert(
      ["services:", "  web:", "    image: web:$NOPE", "    privileged: true", "    deploy:", "      endpoint_mode: vip", "    networks: [front]"].join("\n"),
    );
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([
      'compose.yaml: the "NOPE" variable is not set: it is read as an empty string',
      "not read by Cube (it runs the rest without them):\n  compose.yaml:7: networks (Cube has one flat network: every service reaches every other)\n  compose.yaml:4: privileged\n  compose.yaml:6: deploy.endpoint_mode",
    ]);
  });

  it("refuses what it cannot run, with the file and line: build without image, shell operators, bad ports, YAML errors", () => {
    expect(convert(["services:", "  app:", "    build: ."].join("\n")).problems).to.deep.equal([
      "compose.yaml:2: build without image: Cube runs images, it does not build them (build and push the image, then set image)",
    ]);
    expect(convert(["services:", "  app:", "    image: a", "    command: make && run"].join("\n")).problems).to.deep.equal([
      'compose.yaml:4: shell operators are not run (no shell reads command): write ["sh", "-c", "..."]',
    ]);
    expect(convert(["include: [other.yaml]", "services:", "  app:", "    image: a", "    deploy: {mode: global}"].join("\n")).problems).to.deep.equal([
      "compose.yaml:1: include is not read: apply each file with -f and the same -p, or merge them into one",
    ]);
    expect(convert(["services:", "  app:", "    image: a", "    deploy: {mode: global}"].join("\n")).problems).to.deep.equal([
      'compose.yaml:4: "global": Cube runs replicated services only (one pod per node is not there yet): give deploy.replicas',
    ]);
    expect(convert(["services:", "  app:", "    image: a", '    ports: ["80:80:80:80"]'].join("\n")).problems).to.deep.equal([
      'compose.yaml:4: "80:80:80:80" is not a port: [IP:][PUBLISHED:]TARGET[/tcp|udp], ranges as 8000-8010',
    ]);
    expect(convert("services:\n  app: {image: a\n").problems[0]).to.match(/^compose\.yaml:\d+:\d+: /);
    expect(convert("services:\n  app:\n    image: ${X:?set X}\n").problems).to.deep.equal(["compose.yaml:3: required variable X is missing a value: set X"]);
  });

  it("reads user, working_dir, init, read_only, capabilities, stop_signal, env_file, labels, resources, placement and update_config", () => {
    const { resources, problems, warnings } = convert(
      [
        "services:",
        "  api:",
        "    image: api",
        "    user: 1000:1000",
        "    working_dir: /srv",
        "    init: true",
        "    read_only: true",
        "    cap_drop: [ALL]",
        "    cap_add: [NET_BIND_SERVICE]",
        "    stop_signal: SIGQUIT",
        "    env_file: app.env",
        "    environment: {LEVEL: from-environment}",
        "    labels: {tier: backend, description: the api of the shop}",
        "    deploy:",
        "      resources: {limits: {cpus: '0.5', memory: 512M}}",
        '      placement: {constraints: ["node.labels.zone == a"]}',
        "      update_config: {parallelism: 2, order: start-first}",
      ].join("\n"),
    );
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([
      "not read by Cube (it runs the rest without them):\n  compose.yaml:13: label description (a Cube label's value is at most 63 letters, digits, '-', '_' or '.')",
    ]);
    const deployment = resources[0];
    expect(deployment.spec.strategy).to.deep.equal({ type: "RollingUpdate", rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } });
    expect(deployment.spec.template.metadata.labels).to.deep.equal({ "cube.dev/app": "shop", "cube.dev/service": "api", tier: "backend" });
    expect(deployment.spec.template.spec.nodeSelector).to.deep.equal({ zone: "a" });
    expect(container(resources, "api")).to.deep.include({
      user: "1000:1000",
      workingDir: "/srv",
      init: true,
      stopSignal: "SIGQUIT",
      securityContext: { readOnlyRootFilesystem: true, capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] } },
      env: { FROM_FILE: "yes", LEVEL: "from-environment" },
      resources: { cpu: "0.5", memory: "512Mi" },
    });
    expect(convert(["services:", "  a:", "    image: a", "    env_file: missing.env"].join("\n")).problems).to.deep.equal([
      "compose.yaml:4: cannot read missing.env: ENOENT",
    ]);
    expect(convert(["services:", "  a:", "    image: a", "    deploy: {placement: {constraints: [node.role == manager]}}"].join("\n")).problems).to.deep.equal([
      'compose.yaml:4: "node.role == manager": Cube places by node labels only: node.labels.KEY == VALUE (a node\'s --label)',
    ]);
  });

  it("makes secrets and configs of the file's (file, environment, content; external ones named), mounted as files where Compose mounts them", () => {
    const { resources, problems } = convert(
      [
        "secrets:",
        "  db_password: {file: db-password.txt}",
        "  api_key: {environment: API_KEY}",
        "  tls: {external: true, name: shared-tls}",
        "configs:",
        "  nginx_conf: {content: 'server {}'}",
        "services:",
        "  web:",
        "    image: web",
        "    secrets: [db_password, {source: api_key, target: key, mode: 0440}, tls]",
        "    configs: [{source: nginx_conf, target: /etc/nginx/conf.d/default.conf}]",
      ].join("\n"),
    );
    expect(problems).to.deep.equal([]);
    expect(resources.filter((r) => r.type !== "deployment")).to.deep.equal([
      { type: "secret", metadata: { name: "shop-db-password", labels: { "cube.dev/app": "shop" } }, data: { db_password: "s3cret\n" } },
      { type: "secret", metadata: { name: "shop-api-key", labels: { "cube.dev/app": "shop" } }, data: { api_key: "key-from-env" } },
      { type: "config", metadata: { name: "shop-nginx-conf", labels: { "cube.dev/app": "shop" } }, data: { nginx_conf: "server {}" } },
    ]);
    const spec = resources.find((r) => r.type === "deployment")!.spec.template.spec;
    expect(spec.volumes).to.deep.equal([
      { name: "secret-db-password", secret: { name: "shop-db-password", items: [{ key: "db_password", path: "db_password" }] } },
      { name: "secret-api-key", secret: { name: "shop-api-key", items: [{ key: "api_key", path: "api_key", mode: 0o440 }] } },
      { name: "secret-tls", secret: { name: "shared-tls", items: [{ key: "tls", path: "tls" }] } },
      { name: "config-nginx-conf", config: { name: "shop-nginx-conf", items: [{ key: "nginx_conf", path: "nginx_conf" }] } },
    ]);
    expect(spec.containers[0].volumeMounts.map((m: Record<string, unknown>) => `${m.mountPath} ← ${m.subPath}`)).to.deep.equal([
      "/run/secrets/db_password ← db_password",
      "/run/secrets/key ← api_key",
      "/run/secrets/tls ← tls",
      "/etc/nginx/conf.d/default.conf ← nginx_conf",
    ]);
    expect(convert(["services:", "  web:", "    image: web", "    secrets: [nope]"].join("\n")).problems).to.deep.equal([
      'compose.yaml:4: no top-level secrets named "nope"',
    ]);
  });

  it("mounts named volumes as persistent ones (a single replica then runs as one pod), host paths as hostPath, tmpfs as emptyDir", () => {
    const { resources, problems, warnings } = convert(
      [
        "volumes:",
        "  dbdata: {}",
        "services:",
        "  db:",
        "    image: postgres",
        "    volumes: [dbdata:/var/lib/postgresql/data, ./init:/docker-entrypoint-initdb.d:ro, /cache]",
        "    tmpfs: /run",
        "  web:",
        "    image: web",
        "    volumes: [{type: bind, source: /srv/static, target: /static, read_only: true}]",
      ].join("\n"),
    );
    expect(problems).to.deep.equal([]);
    const db = resources.find((r) => r.metadata.name === "db")!;
    expect(db.type).to.equal("pod");
    expect(db.spec.volumes).to.deep.equal([
      { name: "dbdata", persistent: {} },
      { name: "host-1", hostPath: { path: "/project/init" } },
      { name: "scratch-2", emptyDir: {} },
      { name: "scratch-3", emptyDir: {} },
    ]);
    expect(db.spec.containers[0].volumeMounts.map((m: Record<string, unknown>) => `${m.name} ${m.mountPath}${m.readOnly ? " ro" : ""}`)).to.deep.equal([
      "dbdata /var/lib/postgresql/data",
      "host-1 /docker-entrypoint-initdb.d ro",
      "scratch-2 /cache",
      "scratch-3 /run",
    ]);
    expect(resources.find((r) => r.metadata.name === "web")!.type).to.equal("deployment");
    expect(warnings).to.deep.equal([
      "read differently by Cube:\n  compose.yaml:6: an anonymous volume at /cache is an emptyDir (on the node's disk, removed with the pod)\n  compose.yaml:7: tmpfs at /run is an emptyDir (on the node's disk, removed with the pod)",
    ]);
    expect(convert(["services:", "  db:", "    image: a", "    volumes: [data:/d]", "    deploy: {replicas: 2}"].join("\n")).problems).to.deep.equal([
      'compose.yaml:4: no top-level volume named "data"',
    ]);
    // Replicated, a named volume is one per node, shared by the replicas there: a deployment, said.
    const replicated = convert(
      ["volumes: {cache: {}}", "services:", "  cache:", "    image: a", "    volumes: [cache:/c]", "    deploy: {replicas: 3}"].join("\n"),
    );
    expect(replicated.resources.map((r) => `${r.type}/${r.metadata.name}`)).to.deep.equal(["deployment/cache"]);
    expect(replicated.resources[0].spec.template.spec.volumes).to.deep.equal([{ name: "cache", persistent: {} }]);
    expect(replicated.warnings).to.deep.equal([
      "read differently by Cube:\n  compose.yaml:5: a named volume of a replicated service is one per node, shared by its replicas there (as under Swarm)",
    ]);
  });
});
