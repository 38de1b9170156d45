import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, runProgram, startProcess } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
const SERVE = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

/** A pod in YAML, as a user writes it. */
const podYaml = (name: string, labels: string) => `type: pod
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${IMAGE}
      command: ${SERVE}
`;

/** The CLI as kubectl and docker users type it, through the real `cube` binary against a one-node cluster. */
describe("the CLI, with kubectl's habits", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(5);
  const cube = (...args: string[]) => cluster.cube(args);
  const dir = join(cluster.dir.path, "manifests");

  before(async () => {
    await cluster.startLeader(`h${Math.random().toString(36).slice(2, 6)}-main`);
    await eventually("a Ready node", async () => ((await cluster.nodes()).some((n) => n.status === "Ready") ? true : undefined));
    mkdirSync(join(dir, "more"), { recursive: true });
    writeFileSync(join(dir, "web.yaml"), `${podYaml("web", "app: web, tier: front")}---\n${podYaml("api", "app: api, tier: back")}`);
    writeFileSync(join(dir, "more", "db.yml"), podYaml("db", "app: db, tier: back"));
    writeFileSync(join(dir, "notes.txt"), "not a manifest");
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(() => cluster.stop());

  it("applies YAML documents from a directory (-f DIR, -R for its subdirectories)", async () => {
    expect(await cluster.cubeOk("apply", "-f", dir)).to.equal("pod/web created\npod/api created\n");
    expect(await cluster.cubeOk("apply", "-f", dir, "-R")).to.equal("pod/db created\npod/web unchanged\npod/api unchanged\n");
    for (const name of ["web", "api", "db"]) await cluster.waitForPodStatus(name, "Running");
  });

  it("says what an apply would change with --dry-run, changing nothing", async () => {
    const draft = join(cluster.dir.path, "draft.yaml");
    writeFileSync(draft, `${podYaml("draft", "app: draft")}---\n${podYaml("web", "app: web, tier: front")}---\n${podYaml("api", "app: api, tier: middle")}`);
    expect(await cluster.cubeOk("apply", "-f", draft, "--dry-run")).to.equal(
      "pod/draft created (dry run)\npod/web unchanged (dry run)\npod/api configured (dry run)\n",
    );
    expect((await cube("get", "pod/draft")).stderr).to.equal("error: pod/draft not found\n");
    expect(JSON.parse(await cluster.cubeOk("get", "pod/api", "-o", "json")).manifest.metadata.labels.tier).to.equal("back");
  });

  it("says where a YAML manifest is wrong: line and column, or file and resource, and applies nothing", async () => {
    const bad = join(cluster.dir.path, "bad.yaml");
    writeFileSync(bad, "type: pod\nmetadata:\n  name: x\n   spec: {}\n");
    const syntax = await cube("apply", "-f", bad);
    expect(syntax).to.deep.include({ code: 1, stdout: "" });
    expect(syntax.stderr).to.match(new RegExp(`^error: invalid manifest:\\n  ${bad}:3:9: Nested mappings are not allowed`));
    const invalid = join(cluster.dir.path, "invalid.yaml");
    writeFileSync(invalid, `${podYaml("fine", "a: b")}---\ntype: pod\nmetadata: {name: broken}\nspec: {containers: [{name: main}]}\n`);
    const result = await cube("apply", "-f", invalid);
    expect(result.stderr).to.equal(`error: invalid manifest:\n  ${invalid}: resource 2: spec.containers[0].image: required\n`);
    expect((await cube("get", "pod", "fine")).code).to.equal(1);
  });

  it("gets in every form: TYPE/NAME, TYPE NAME, a TYPE alone, describe; -o json, yaml, name, wide", async () => {
    const described = await cluster.cubeOk("describe", "pod", "web");
    expect(described)
      .to.match(/^Name:\s+web\n/)
      .and.to.match(/Labels:\s+app=web, tier=front/);
    expect(await cluster.cubeOk("get", "pod/web")).to.match(/^Name:\s+web\n/);
    expect(JSON.parse(await cluster.cubeOk("get", "pod", "web", "-o", "json")).manifest.metadata.name).to.equal("web");
    expect(parseYaml(await cluster.cubeOk("get", "pod/web", "-o", "yaml")).manifest.metadata.labels).to.deep.equal({ app: "web", tier: "front" });
    expect(await cluster.cubeOk("get", "pods", "-o", "name")).to.equal("pod/api\npod/db\npod/web\n");
    const wide = (await cluster.cubeOk("list", "pod", "-o", "wide")).trimEnd().split("\n");
    expect(wide[0]).to.match(/^name\s+\| status\s+\| age\s+\| ready \| restarts \| ip\s+\| node\s+\| ports/i);
    // Its address on the node's pod network (the leader's node has the pod CIDR's first /24).
    expect(wide[1]).to.match(/^api\s+\| Running \| \S+\s+\| 1\/1\s+\| 0\s+\| 10\.42\.0\.\d+\s+\| h\w+-main/);
  });

  it("selects by labels (-l) to list and to delete", async () => {
    expect(await cluster.cubeOk("list", "pod", "-l", "tier=back", "-o", "name")).to.equal("pod/api\npod/db\n");
    expect(await cluster.cubeOk("list", "pod", "-l", "tier in (front,middle),app!=api", "-o", "name")).to.equal("pod/web\n");
    expect(await cluster.cubeOk("list", "pod", "-l", "!tier", "-o", "name")).to.equal("");
    const refused = await cube("list", "pod", "-l", "tier in front");
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/^error: selector "tier in front": cannot read/);
    const deleted = await cube("delete", "pod", "-l", "app=db");
    expect(deleted).to.deep.include({ code: 0, stdout: "pod/db deleted\n" });
    expect(deleted.stderr).to.match(/^waiting for pod\/db to stop: SIGTERM sent/);
  });

  it("reads logs and execs by a pod's bare name, -it accepted", async () => {
    expect((await cube("logs", "web")).code).to.equal(0);
    expect(await cluster.cubeOk("exec", "-it", "web", "--", "echo", "hi")).to.equal("hi\n");
    expect(await cluster.cubeOk("exec", "pod", "web", "--", "echo", "there")).to.equal("there\n");
  });

  it("watches: list --watch gets each change pushed, events lists and follows what happens", async () => {
    const watching = startProcess("cube list -w", process.execPath, [join(projectRoot, "bin", "run.js"), "list", "pod", "--watch"], cluster.cliEnv());
    const events = startProcess("cube events -w", process.execPath, [join(projectRoot, "bin", "run.js"), "events", "--watch"], cluster.cliEnv());
    try {
      await watching.waitForLine(/^name\s+\| status/);
      expect(await watching.waitForLine(/^web\s+\| Running/)).to.match(/^web /);
      await events.waitForLine(/\| Started\s+\| pod\/web on /);
      writeFileSync(join(cluster.dir.path, "watched.yaml"), podYaml("watched", "app: watched"));
      await cluster.cubeOk("apply", "-f", join(cluster.dir.path, "watched.yaml"));
      await watching.waitForLine(/^watched\s+\| (Pending|ContainerCreating)/);
      await watching.waitForLine(/^watched\s+\| Running/);
      await events.waitForLine(/\| Scheduled\s+\| pod\/watched on /);
      await cluster.cubeOk("delete", "pod/watched");
      await watching.waitForLine(/^watched\s+\| Deleted/);
      expect(await watching.kill("SIGINT")).to.equal(0);
      expect(await events.kill("SIGINT")).to.equal(0);
    } finally {
      await watching.kill("SIGKILL");
      await events.kill("SIGKILL");
    }
    const listed = await cluster.cubeOk("events", "--for", "pod/web");
    expect(listed.split("\n")[0]).to.match(/^last seen\s+\| type\s+\| reason\s+\| object\s+\| message/);
    expect(listed)
      .to.match(/Normal\s+\| Scheduled\s+\| pod\/web/)
      .and.not.to.include("pod/api");
    const json = JSON.parse(await cluster.cubeOk("events", "-o", "json")) as { object: string; reason: string }[];
    expect(json.map((e) => e.object)).to.include.members(["pod/web", "pod/api"]);
  });

  it("waits with apply --wait: exit 0 once ready, 1 when a resource fails", async () => {
    const good = join(cluster.dir.path, "good.yaml");
    writeFileSync(good, podYaml("waited", "app: waited"));
    const ready = await cube("apply", "-f", good, "--wait");
    expect(ready).to.deep.include({ code: 0, stdout: "pod/waited created\n" });
    expect(ready.stderr.trimEnd().split("\n").at(-1)).to.equal("pod/waited ready");
    expect((await cluster.pod("waited")).status).to.equal("Running");
    const bad = join(cluster.dir.path, "unpullable.yaml");
    writeFileSync(bad, podYaml("unpullable", "app: bad").replace(`image: ${IMAGE}`, "image: cube-test/not-there:1"));
    const failed = await cube("apply", "-f", bad, "--wait", "--timeout", "60s");
    expect(failed.code).to.equal(1);
    expect(failed.stderr.trimEnd().split("\n").at(-1)).to.equal("error: pod/unpullable failed: ErrImagePull");
    await cluster.cubeOk("delete", "pod", "waited", "unpullable");
  });

  it("port-forwards: an HTTP request from this machine to a pod's unpublished port, through the leader", async () => {
    const site = join(cluster.dir.path, "site.yaml");
    writeFileSync(
      site,
      podYaml("site", "app: site").replace(SERVE, `["sh", "-c", "mkdir -p /www && echo hello through the tunnel > /www/index.html && httpd -f -p 80 -h /www"]`),
    );
    await cluster.cubeOk("apply", "-f", site, "--wait");
    const forward = startProcess("cube port-forward", process.execPath, [join(projectRoot, "bin", "run.js"), "port-forward", "site", ":80"], cluster.cliEnv());
    try {
      const port = Number(/^Forwarding from 127\.0\.0\.1:(\d+) -> pod\/site:80/.exec(await forward.waitForLine(/^Forwarding from/))![1]);
      for (let i = 0; i < 3; i++) expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).to.equal("hello through the tunnel\n");
      expect(await forward.kill("SIGINT")).to.equal(0);
    } finally {
      await forward.kill("SIGKILL");
    }
    const refused = await cube("port-forward", "pod/nothing", "8080:80");
    expect(refused).to.deep.include({ code: 1, stderr: "error: pod/nothing not found\n" });
    await cluster.cubeOk("delete", "pod/site");
  });

  it("helps: help, -h, version, did you mean, whole usage errors", async () => {
    expect(await cluster.cubeOk("help")).to.match(/COMMANDS/);
    expect(await cluster.cubeOk("help", "apply")).to.match(/^Create or update/);
    expect(await cluster.cubeOk("-h")).to.match(/COMMANDS/);
    expect(await cluster.cubeOk("version")).to.match(/^client: \d+\.\d+\.\d+\nleader: \d+\.\d+\.\d+\n$/);
    expect(await cube("lst")).to.deep.include({
      code: 1,
      stderr: 'error: unknown command "lst": did you mean `cube list`? (`cube help` lists the commands)\n',
    });
    const missing = await cube("get");
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.match(/^error: missing RESOURCE \(TYPE\/NAME….*\): see `cube get --help`\n$/);
  });

  it("completes in bash and zsh: the scripts, and candidates with the names of existing resources", async () => {
    expect(await cluster.cubeOk("completion", "bash")).to.include("complete -o default -F _cube_complete cube");
    expect(await cluster.cubeOk("completion", "zsh")).to.match(/^#compdef cube\n/);
    expect(await cluster.cubeOk("__complete", "ro")).to.equal("rollout\n");
    expect(await cluster.cubeOk("__complete", "get", "pod", "")).to.equal("api\nweb\n");
    expect(await cluster.cubeOk("__complete", "logs", "w")).to.equal("web\n");
    expect(await cluster.cubeOk("__complete", "get", "--wa")).to.equal("--watch\n");
    // Through bash itself, as a user's Tab would run it.
    const script = join(cluster.dir.path, "cube-completion.bash");
    writeFileSync(script, await cluster.cubeOk("completion", "bash"));
    const bin = join(cluster.dir.path, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "cube"), `#!/bin/sh\nexec ${process.execPath} ${join(projectRoot, "bin", "run.js")} "$@"\n`, { mode: 0o755 });
    const tab = await runProgram(
      "bash",
      ["-c", `source ${script}; COMP_WORDS=(cube describe pod/a); COMP_CWORD=2; _cube_complete; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { ...cluster.cliEnv(), PATH: `${bin}:${process.env.PATH}` },
    );
    expect(tab.stdout).to.equal("pod/api\n");
  });

  it("deletes several at once, and what a manifest names (-f)", async () => {
    expect(await cluster.cubeOk("delete", "-f", join(dir, "web.yaml"))).to.match(/^(pod\/web deleted\npod\/api deleted|pod\/api deleted\npod\/web deleted)\n$/);
    expect(await cluster.cubeOk("list", "pod", "-o", "name")).to.equal("");
  });
});
