import { expect } from "chai";
import { missingReference, planKeyedVolumes, resolveEnv, volumeFiles, type KeyedLookup } from "../../../src/agent/keyed/keyed-files.js";
import { pullAuthFor, registryOf } from "../../../src/agent/keyed/registry-auth.js";
import type { KeyedValues, PodSpec } from "../../../src/shared/domain.js";

const values = (kind: "secret" | "config", name: string, data: Record<string, string>, contentId = "c1", secretType = ""): KeyedValues => ({
  kind,
  name,
  revision: 1,
  contentId,
  secretType,
  data: new Map(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])),
});
const held = (...items: KeyedValues[]): KeyedLookup => {
  const byRef = new Map(items.map((item) => [`${item.kind}/${item.name}`, item]));
  return (ref) => byRef.get(ref);
};
const spec = (more: Partial<PodSpec> = {}, env: PodSpec["containers"][number]["env"] = {}): PodSpec => ({
  containers: [{ name: "main", image: "app:1", env }],
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 10,
  ...more,
});

describe("a node's secret and config volumes: the plan", () => {
  const db = values("secret", "db", { password: "pw", user: "u" });
  const app = values("config", "app", { "nginx.conf": "server {}" });
  const pod = (uid: string, volumes: PodSpec["volumes"], termination?: string) => ({ uid, spec: spec({ volumes }), termination });
  const secretVolume = { name: "creds", secret: { name: "db" } };
  const configVolume = { name: "conf", config: { name: "app", items: [{ key: "nginx.conf", path: "conf.d/default.conf", mode: 0o444 }] } };
  const version = (source: object, v: KeyedValues) => volumeFiles(source as never, v).version;
  const cases: { name: string; pods: ReturnType<typeof pod>[]; lookup: KeyedLookup; written: [string, string][]; dirs: string[]; expected: string[] }[] = [
    {
      name: "everything in place: nothing to do",
      pods: [pod("p1", [secretVolume, configVolume])],
      lookup: held(db, app),
      written: [
        ["p1/creds", version(secretVolume.secret, db)],
        ["p1/conf", version(configVolume.config, app)],
      ],
      dirs: ["p1"],
      expected: [],
    },
    {
      name: "a new pod: each of its volumes written, every key as a file mode 0400, or its items at their paths and modes",
      pods: [pod("p1", [secretVolume, configVolume, { name: "scratch", emptyDir: {} }])],
      lookup: held(db, app),
      written: [],
      dirs: [],
      expected: ["write p1/creds: password 400, user 400", "write p1/conf: conf.d/default.conf 444"],
    },
    {
      name: "new values: the volume is written again",
      pods: [pod("p1", [secretVolume])],
      lookup: held(values("secret", "db", { password: "new" }, "c2")),
      written: [["p1/creds", version(secretVolume.secret, db)]],
      dirs: ["p1"],
      expected: ["write p1/creds: password 400"],
    },
    {
      name: "values the node does not hold (deleted, or not sent yet): the volume keeps what it has",
      pods: [pod("p1", [secretVolume])],
      lookup: held(),
      written: [["p1/creds", "old"]],
      dirs: ["p1"],
      expected: [],
    },
    {
      name: "a pod being torn down: nothing written, its directory kept until it is forgotten",
      pods: [pod("p1", [secretVolume], "deleted")],
      lookup: held(db),
      written: [],
      dirs: ["p1"],
      expected: [],
    },
    {
      name: "a pod the node no longer knows: its directory goes",
      pods: [],
      lookup: held(db),
      written: [["gone/creds", "v"]],
      dirs: ["gone"],
      expected: ["remove gone"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planKeyedVolumes(c.pods, c.lookup, new Map(c.written), c.dirs);
      expect([
        ...plan.write.map((w) => `write ${w.podUid}/${w.volume}: ${w.files.map((f) => `${f.path} ${f.mode.toString(8)}`).join(", ")}`),
        ...plan.remove.map((uid) => `remove ${uid}`),
      ]).to.deep.equal(c.expected);
    });
  }
});

describe("a node's secrets and configs: what a pod's containers need", () => {
  const db = values("secret", "db", { password: "pw" });
  const env = { A: "plain", B: { secretKeyRef: { name: "db", key: "password" } }, C: { configKeyRef: { name: "app", key: "MODE" } } };

  it("says what is missing as kubelet does (CreateContainerConfigError), nothing once all is there", () => {
    expect(missingReference(spec({}, env), held(db))).to.equal('config "app" not found');
    expect(missingReference(spec({}, env), held(db, values("config", "app", { OTHER: "x" })))).to.equal('couldn\'t find key MODE in config "app"');
    expect(missingReference(spec({ volumes: [{ name: "v", secret: { name: "db", items: [{ key: "nope", path: "p" }] } }] }), held(db))).to.equal(
      'couldn\'t find key nope in secret "db"',
    );
    expect(missingReference(spec({ imagePullSecrets: [{ name: "db" }] }), held(db))).to.equal('secret "db" in imagePullSecrets is not a registry secret');
    expect(missingReference(spec({}, env), held(db, values("config", "app", { MODE: "prod" })))).to.equal(undefined);
  });

  it("resolves env references to the values held", () => {
    expect(resolveEnv(env, held(db, values("config", "app", { MODE: "prod" })))).to.deep.equal({ A: "plain", B: "pw", C: "prod" });
  });

  it("finds the pull credentials of an image's registry among the pod's pull secrets", () => {
    const login = values("secret", "login", { server: "registry.example:5000", username: "ci", password: "pw" }, "c", "registry");
    const config = values(
      "secret",
      "hub",
      { ".dockerconfigjson": JSON.stringify({ auths: { "https://index.docker.io/v1/": { auth: Buffer.from("me:p:w").toString("base64") } } }) },
      "c",
      "registry",
    );
    const pull = spec({ imagePullSecrets: [{ name: "login" }, { name: "hub" }] });
    expect([registryOf("busybox"), registryOf("team/app:1"), registryOf("registry.example:5000/app"), registryOf("localhost/app")]).to.deep.equal([
      "docker.io",
      "docker.io",
      "registry.example:5000",
      "localhost",
    ]);
    expect(pullAuthFor("registry.example:5000/team/app:1", pull, held(login, config))).to.deep.equal({
      username: "ci",
      password: "pw",
      serveraddress: "registry.example:5000",
    });
    expect(pullAuthFor("busybox", pull, held(login, config))).to.deep.equal({ username: "me", password: "p:w", serveraddress: "https://index.docker.io/v1/" });
    expect(pullAuthFor("other.example/app", pull, held(login, config))).to.equal(undefined);
  });
});
