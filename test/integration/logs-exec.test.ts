import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { containersWithLabels, dockerExec } from "../helpers/docker.js";
import type { ExecOutput } from "../../src/gen/cube.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, startProcess, type TestProcess } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";

describe("cube logs and cube exec, through the leader to the node", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(5);
  const prefix = `l${Math.random().toString(36).slice(2, 6)}`;
  // Placement breaks ties by name: the first pod goes to the follower ("a…"), not to the leader ("z…").
  const follower = `a${prefix}-node`;
  const cube = (...args: string[]) => cluster.cube(args);
  let followerProcess: TestProcess;

  const apply = (file: string, resources: unknown) => cluster.apply(file, resources);

  before(async () => {
    await cluster.startLeader(`z${prefix}-main`);
    followerProcess = cluster.startFollower(follower);
    await eventually("2 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 2 ? true : undefined));
    // Two containers printing alternately (b 0.2 s after alpha, both every 0.4 s), on stdout and stderr. They start
    // one after the other, so they meet first (each waits for the other's file in a shared emptyDir): their lines
    // interleave however long the engine took between the two starts.
    const meet = (me: string, other: string) => `touch /meet/${me}; while [ ! -e /meet/${other} ]; do sleep 0.05; done`;
    const mount = [{ name: "meet", mountPath: "/meet" }];
    await apply("chatty", {
      type: "pod",
      metadata: { name: "chatty" },
      spec: {
        volumes: [{ name: "meet", emptyDir: {} }],
        containers: [
          {
            name: "alpha",
            image: IMAGE,
            command: ["sh", "-c", `${meet("alpha", "b")}; for i in 1 2 3 4 5 6; do echo alpha-$i; sleep 0.4; done; sleep 3600`],
            volumeMounts: mount,
          },
          {
            name: "b",
            image: IMAGE,
            command: ["sh", "-c", `${meet("b", "alpha")}; sleep 0.2; for i in 1 2 3 4 5 6; do echo b-$i >&2; sleep 0.4; done; sleep 3600`],
            volumeMounts: mount,
          },
        ],
        terminationGracePeriodSeconds: 1,
      },
    });
    const pod = await cluster.waitForPodStatus("chatty", "Running");
    expect(pod.node, "the pod under test runs on a follower").to.equal(follower);
    await eventually("every line printed", async () => ((await cluster.cubeOk("logs", "pod/chatty")).trimEnd().split("\n").length === 12 ? true : undefined));
  });
  after(() => cluster.stop());

  it("merges the containers' lines in true time order, each prefixed with its container's name, aligned", async () => {
    const result = await cube("logs", "pod/chatty", "--timestamps");
    expect(result.code, result.stderr).to.equal(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).to.have.length(12);
    for (const line of lines) expect(line).to.match(/^(\[alpha\] \d{4}-\S+Z alpha-\d|\[b\]     \d{4}-\S+Z b-\d)$/);
    const times = lines.map((line) => Date.parse(line.split(/\s+/)[1]));
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    const order = lines.map((line) => line.split(/\s+/)[2]);
    expect(order).to.deep.equal(["alpha-1", "b-1", "alpha-2", "b-2", "alpha-3", "b-3", "alpha-4", "b-4", "alpha-5", "b-5", "alpha-6", "b-6"]);
  });

  it("prints one container with --container (no prefix), its last lines with --tail, its recent ones with --since", async () => {
    expect((await cluster.cubeOk("logs", "pod/chatty", "--container", "b")).split("\n").filter(Boolean)).to.deep.equal([
      "b-1",
      "b-2",
      "b-3",
      "b-4",
      "b-5",
      "b-6",
    ]);
    expect(await cluster.cubeOk("logs", "pod/chatty", "-c", "alpha", "--tail", "2")).to.equal("alpha-5\nalpha-6\n");
    expect(await cluster.cubeOk("logs", "pod/chatty", "--tail", "1")).to.equal("[alpha] alpha-6\n[b]     b-6\n");
    // Once the last line is older than a second, --since 1s shows nothing.
    const last = Date.parse((await cluster.cubeOk("logs", "pod/chatty", "--tail", "1", "--timestamps")).trimEnd().split("\n").at(-1)!.split(/\s+/)[1]);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, last + 1500 - Date.now())));
    expect(await cluster.cubeOk("logs", "pod/chatty", "--since", "1s")).to.equal("");
    expect((await cluster.cubeOk("logs", "pod/chatty", "--since", "1h")).split("\n").filter(Boolean)).to.have.length(12);
  });

  it("says clearly what is wrong: unknown pod, unknown container, a pod not started", async () => {
    expect((await cube("logs", "pod/ghost")).stderr).to.equal("error: pod/ghost not found\n");
    expect((await cube("logs", "pod/chatty", "-c", "gamma")).stderr).to.equal('error: container "gamma" not found in pod/chatty; its containers: alpha, b\n');
    await apply("unstarted", { type: "pod", metadata: { name: "unstarted" }, spec: { containers: [{ name: "main", image: "cube-test/absent:1" }] } });
    await cluster.waitForPodStatus("unstarted", "ErrImagePull");
    expect((await cube("logs", "pod/unstarted")).stderr).to.equal("error: container main of pod/unstarted has not started yet\n");
    expect((await cube("logs", "pod/chatty", "--since", "soon")).stderr).to.equal('error: --since must be a duration such as 10s, 5m or 2h, got "soon"\n');
  });

  it("follows new lines with -f, into the next instance after a restart, and ends when the pod is deleted", async () => {
    await apply("ticker", {
      type: "pod",
      metadata: { name: "ticker" },
      spec: {
        containers: [{ name: "tick", image: IMAGE, command: ["sh", "-c", "for i in 1 2 3; do echo tick-$i; sleep 0.5; done; exit 1"] }],
        restart: { initialBackoffSeconds: 1 },
        terminationGracePeriodSeconds: 1,
      },
    });
    await cluster.waitForPodStatus("ticker", "Running");
    const follow = startProcess("cube logs -f", process.execPath, [join(projectRoot, "bin", "run.js"), "logs", "pod/ticker", "-f"], cluster.cliEnv());
    // tick-1..3 of the first instance, then of the next one, started after the back-off.
    await eventually("lines of two instances", async () => (follow.lines.filter((line) => line === "[tick] tick-3").length >= 2 ? true : undefined), 30_000);
    await cluster.cubeOk("delete", "pod/ticker");
    expect(await follow.exitCode()).to.equal(0);
  });

  it("prints the last replaced instance's logs with --previous", async () => {
    // The first instance exits; the second (the pod's emptyDir says it is not the first) stays.
    await apply("phoenix", {
      type: "pod",
      metadata: { name: "phoenix" },
      spec: {
        volumes: [{ name: "state", emptyDir: {} }],
        containers: [
          {
            name: "main",
            image: IMAGE,
            command: ["sh", "-c", "if [ -e /state/lived ]; then echo second-life; sleep 3600; else touch /state/lived; echo first-life; exit 1; fi"],
            volumeMounts: [{ name: "state", mountPath: "/state" }],
          },
        ],
        restart: { initialBackoffSeconds: 1 },
        terminationGracePeriodSeconds: 1,
      },
    });
    await eventually(
      "the second instance's line",
      async () => ((await cluster.cubeOk("logs", "pod/phoenix")) === "[main] second-life\n" ? true : undefined),
      30_000,
    );
    expect((await cluster.pod("phoenix")).containers[0].restartCount).to.equal(1);
    expect(await cluster.cubeOk("logs", "pod/phoenix", "--previous")).to.equal("[main] first-life\n");
    await cluster.cubeOk("delete", "pod/phoenix", "--no-wait");
  });

  it("streams a large log at the pace of its reader: neither the leader nor the node holds it", async () => {
    const lines = 600_000; // 101 bytes each: about 60 MB
    await apply("big", {
      type: "pod",
      metadata: { name: "big" },
      spec: {
        containers: [
          {
            name: "main",
            image: IMAGE,
            command: [
              "sh",
              "-c",
              `yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 | head -n ${lines}; echo end-of-log; sleep 3600`,
            ],
          },
        ],
        terminationGracePeriodSeconds: 1,
      },
    });
    await eventually(
      "the whole log written",
      async () => ((await cluster.cubeOk("logs", "pod/big", "--tail", "1")) === "[main] end-of-log\n" ? true : undefined),
      60_000,
      1000,
    );
    // Both servers: the pod's node may be the leader's own (its agent then runs in the leader's process).
    const servers = [cluster.leaderProcess!, followerProcess];
    const rss = () => servers.map(({ pid }) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024);
    const before = rss();
    const reader = spawn(process.execPath, [join(projectRoot, "bin", "run.js"), "logs", "pod/big", "-c", "main"], {
      env: { ...process.env, ...cluster.cliEnv() },
      stdio: ["ignore", "pipe", "inherit"],
    });
    reader.stdout.pause(); // a reader that does not read yet: everything upstream must wait
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const growth = rss().map((after, index) => after - before[index]);
    let bytes = 0;
    reader.stdout.on("data", (chunk: Buffer) => (bytes += chunk.length));
    reader.stdout.resume();
    const code = await new Promise((resolve) => reader.on("close", resolve));
    expect(code).to.equal(0);
    expect(bytes).to.equal(lines * 101 + "end-of-log\n".length);
    // A server that read the whole log while its reader waited grows by about 2.5 times its size (155 MB, as the
    // node did); one that waits grows by what flowed until every buffer on the way was full (10–35 MB measured).
    servers.forEach(({ label }, index) => expect(growth[index], `${label} grew by ${(growth[index] / 1e6).toFixed(1)} MB`).to.be.below(lines * 101));
    await cluster.cubeOk("delete", "pod/big", "--no-wait");
  });

  it("reads a 6 MB line whole, and the lines after it (a long line goes in pieces; neither node nor message holds it)", async () => {
    await apply("long-line", {
      type: "pod",
      metadata: { name: "long-line" },
      spec: {
        containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "head -c 6000000 /dev/zero | tr '\\0' a; echo; echo after; sleep 3600"] }],
        terminationGracePeriodSeconds: 1,
      },
    });
    await eventually(
      "the lines written",
      async () => ((await cluster.cubeOk("logs", "pod/long-line", "--tail", "1")) === "[main] after\n" ? true : undefined),
      60_000,
      500,
    );
    const out = await cluster.cubeOk("logs", "pod/long-line");
    expect(out.length).to.equal(6_000_000 + "[main] \n[main] after\n".length);
    expect(out).to.equal(`[main] ${"a".repeat(6_000_000)}\n[main] after\n`);
    await cluster.cubeOk("delete", "pod/long-line", "--no-wait");
  });

  it("runs a command with exec: its exit code, stdout and stderr apart", async () => {
    const result = await cube("exec", "pod/chatty", "-c", "alpha", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 3");
    expect(result).to.deep.equal({ code: 3, stdout: "to-out\n", stderr: "to-err\n" });
  });

  it("pipes stdin to the command and passes its end on", async () => {
    const result = await cluster.cube(["exec", "pod/chatty", "-c", "b", "--", "cat"], undefined, "hi\nthere\n");
    expect(result).to.deep.equal({ code: 0, stdout: "hi\nthere\n", stderr: "" });
  });

  it("fails like a shell for a command that cannot run, and asks which container when there are several", async () => {
    expect(await cube("exec", "pod/chatty", "-c", "b", "--", "no-such-command")).to.deep.equal({
      code: 127,
      stdout: "",
      stderr: "no-such-command: executable file not found in $PATH\n",
    });
    expect((await cube("exec", "pod/chatty", "-c", "b", "--", "/bin")).code).to.equal(126);
    const ambiguous = await cube("exec", "pod/chatty", "--", "true");
    expect(ambiguous.code).to.equal(1);
    expect(ambiguous.stderr).to.equal("error: pod/chatty has several containers: choose one with --container (alpha, b)\n");
  });

  it("gives an interactive command a terminal of the size it had at the start", async () => {
    const cubeCommand = `CUBE_CONFIG=${cluster.cliEnv().CUBE_CONFIG} ${process.execPath} ${join(projectRoot, "bin", "run.js")} exec pod/chatty -c alpha -- sh -c 'stty size; tty; exit 5'`;
    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      // `script` runs the CLI on a pseudo-terminal of its own, sized here before the CLI starts.
      const child = spawn("script", ["-qec", `stty rows 33 cols 101; ${cubeCommand}`, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk));
      child.stderr.on("data", (chunk: Buffer) => (text += chunk));
      // Its stdin stays open: at its end `script` types an end-of-file into the terminal, which the terminal echoes
      // ("^@") if the CLI has not made it raw yet.
      child.on("close", (code) => resolve({ code, text }));
    });
    expect(output.text).to.match(/^33 101\r*\n\/dev\/pts\/\d+\r*\n$/);
    expect(output.code).to.equal(5);
  });

  it("resizes the remote terminal when the window changes", async () => {
    const leader = await cluster.leaderClient();
    try {
      const session = await leader.exec();
      let output = "";
      session.on("data", (message: ExecOutput) => (output += Buffer.from(message.stdout ?? []).toString()));
      const ended = new Promise((resolve) => session.on("end", resolve));
      session.write({ start: { type: "pod", name: "chatty", container: "alpha", command: ["sh"], tty: true, size: { rows: 40, columns: 120 }, stdin: true } });
      await eventually("the prompt", async () => (output.includes("# ") ? true : undefined));
      session.write({ resize: { rows: 25, columns: 90 } });
      // busybox's stty prefers $LINES/$COLUMNS (set at the start on engines older than API 1.42) to the terminal's size.
      session.write({ stdin: Buffer.from("unset COLUMNS LINES; stty size; exit 0\n") });
      await ended;
      expect(output).to.match(/\r?\n25 90\r?\n/);
    } finally {
      leader.close();
    }
  });

  it("leaves no process behind when the CLI goes away in the middle of an exec", async () => {
    const marker = `${Math.floor(Math.random() * 1000) + 7000}`;
    const session = startProcess(
      "cube exec",
      process.execPath,
      [join(projectRoot, "bin", "run.js"), "exec", "pod/chatty", "-c", "alpha", "--", "sleep", marker],
      cluster.cliEnv(),
    );
    const [alpha] = (await containersWithLabels("cube.pod=chatty", "cube.container=alpha")).filter((c) => c.state === "running");
    const sleeping = async () => (await dockerExec(alpha.id, ["ps", "-o", "args"])).split("\n").some((line) => line.trim() === `sleep ${marker}`);
    await eventually("the command running", async () => ((await sleeping()) ? true : undefined));
    await session.kill("SIGKILL");
    await eventually("the command gone", async () => ((await sleeping()) ? undefined : true), 15_000);
  });

  it("leaves no process behind when many CLIs go away at once, some of them before their command started", async function () {
    this.timeout(120_000);
    // Two markers: the CLIs killed while starting up, at staggered moments, and those killed with their command running.
    const early = `${Math.floor(Math.random() * 1000) + 8000}`;
    const late = `${Number(early) + 1000}`;
    const [alpha] = (await containersWithLabels("cube.pod=chatty", "cube.container=alpha")).filter((c) => c.state === "running");
    const running = async (marker: string) =>
      (await dockerExec(alpha.id, ["ps", "-o", "args"])).split("\n").filter((line) => line.trim() === `sleep ${marker}`).length;
    const execs = (marker: string) =>
      Array.from({ length: 20 }, (_, i) =>
        startProcess(
          `cube exec ${marker} ${i}`,
          process.execPath,
          [join(projectRoot, "bin", "run.js"), "exec", "pod/chatty", "-c", "alpha", "--", "sleep", marker],
          cluster.cliEnv(),
        ),
      );
    const lateSessions = execs(late);
    const earlySessions = execs(early);
    await Promise.all(earlySessions.map((session, i) => new Promise((resolve) => setTimeout(resolve, i * 25)).then(() => session.kill("SIGKILL"))));
    const earlyRunningAtKill = await running(early);
    await eventually("every late command running", async () => ((await running(late)) === lateSessions.length ? true : undefined), 60_000, 100);
    await Promise.all(lateSessions.map((session) => session.kill("SIGKILL")));
    // The scenario happened: some CLIs went away before their command was running, the others while it ran.
    expect(earlyRunningAtKill, "commands of the CLIs killed while starting").to.be.below(earlySessions.length);
    console.log(
      `      (${earlyRunningAtKill} of ${earlySessions.length} early commands running when their CLIs were gone, all ${lateSessions.length} late ones)`,
    );
    await eventually("every command gone", async () => ((await running(early)) + (await running(late)) === 0 ? true : undefined), 15_000, 200);
    // And none started afterwards for a client that was gone.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await running(early)) + (await running(late))).to.equal(0);
  });
});
