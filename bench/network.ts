// The pod network on the multi-host test bed: pod to pod across hosts against host to host over the same link, with
// one tool on both sides (peer-echo, built static from test/images/peer-echo.c: the same binary in the pods' image and
// on the hosts), and the agent's DNS answers for cluster names, asked on the host by a client of its own.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually, projectRoot, startProcess } from "../test/helpers/processes.js";
import { TestHosts } from "../test/helpers/test-hosts.js";
import { median, ratio, type Row } from "./figures.js";
import { IMAGE } from "./pod-start.js";

const run = promisify(execFile);
const PORT = 5201;
const MEGABYTES = 1024;
const ROUND_TRIPS = 20_000;
const DNS_QUERIES = 10_000;

/** A client on a host that asks the agent's DNS server `count` times for `name`, one at a time: each answer's µs. */
const DNS_CLIENT = `
const dgram = require("node:dgram"), packet = require(process.argv[1]);
const [server, name, count] = process.argv.slice(2);
const socket = dgram.createSocket("udp4");
const times = [];
let id = 0, sentAt = 0;
const ask = () => { sentAt = process.hrtime.bigint(); socket.send(packet.encode({ id: ++id % 65536, type: "query", flags: packet.RECURSION_DESIRED, questions: [{ type: "A", name }] }), 53, server); };
socket.on("message", (message) => {
  const answer = packet.decode(message);
  if (answer.answers.length === 0) { console.error("no answer for " + name); process.exit(1); }
  times.push(Number(process.hrtime.bigint() - sentAt) / 1000);
  if (times.length < Number(count)) ask(); else { console.log(JSON.stringify(times)); socket.close(); }
});
ask();`;

const quantile = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(share * values.length))];

export async function network(runs: number): Promise<Row[]> {
  const tools = mkdtempSync(join(tmpdir(), "cube-bench-net-"));
  const peerEcho = join(tools, "peer-echo");
  await run("gcc", ["-static", "-O2", "-o", peerEcho, join(projectRoot, "test", "images", "peer-echo.c")]);
  const bed = await TestHosts.up(3);
  const cluster = new LocalCluster(15, [], bed);
  const hostServer = startProcess(
    "peer-echo on h3",
    ...(({ command, args, env }) => [command, args, env] as const)(bed.on(3, peerEcho, ["serve", "tcp", String(PORT)])),
  );
  try {
    await cluster.startLeader("bench-net-1", 0, ["--label", "host=1"], 1);
    for (const host of [2, 3]) cluster.startFollower(`bench-net-${host}`, { host, extraArgs: ["--label", `host=${host}`] });
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
    const pod = (name: string, host: number, command: string) => ({
      type: "pod",
      metadata: { name },
      spec: {
        nodeSelector: { host: String(host) },
        containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", command] }],
        terminationGracePeriodSeconds: 1,
      },
    });
    await cluster.apply("bench-net", [pod("client", 1, "while true; do sleep 1; done"), pod("server", 3, `peer-echo serve tcp ${PORT}`)]);
    const ipOf = (name: string) =>
      eventually(`${name} Running`, async () => {
        const got = (await cluster.pod(name)) as { status: string; podIp?: string | null };
        return got.status === "Running" && got.podIp ? got.podIp : undefined;
      });
    const serverIp = await ipOf("server");
    await ipOf("client");
    const inPod = async (command: string) => (await cluster.cubeOk("exec", "pod/client", "--", "sh", "-c", command)).trim();
    const onHost = async (command: string[]) => (await bed.run(1, peerEcho, ...command)).trim();

    const podThroughput: number[] = [];
    const hostThroughput: number[] = [];
    const podRtt: number[] = [];
    const hostRtt: number[] = [];
    for (let r = 0; r < runs; r++) {
      hostThroughput.push(Number(await onHost(["send", bed.address(3), String(PORT), String(MEGABYTES)])));
      podThroughput.push(Number(await inPod(`peer-echo send ${serverIp} ${PORT} ${MEGABYTES}`)));
      hostRtt.push(Number((await onHost(["rtt", bed.address(3), String(PORT), String(ROUND_TRIPS)])).split(" ")[0]));
      podRtt.push(Number((await inPod(`peer-echo rtt ${serverIp} ${PORT} ${ROUND_TRIPS}`)).split(" ")[0]));
    }

    const gateway = (await bed.run(1, "ip", "-4", "-o", "addr", "show", "to", "10.42.0.0/16")).match(/inet (10\.42\.\d+\.1)\//)?.[1];
    if (!gateway) throw new Error("no pod network gateway on host 1");
    const dnsPacket = join(projectRoot, "node_modules", "dns-packet");
    const times = JSON.parse(await bed.run(1, process.execPath, "-e", DNS_CLIENT, dnsPacket, gateway, "server.cube.internal", String(DNS_QUERIES))) as number[];

    const throughputRow: Row = {
      figure: `TCP throughput across hosts, ${MEGABYTES} MiB, pod to pod (VXLAN) vs host to host (median of ${runs})`,
      cube: `${median(podThroughput).toFixed(0)} MB/s`,
      docker: `${median(hostThroughput).toFixed(0)} MB/s (hosts)`,
      ratio: ratio(median(podThroughput), median(hostThroughput)),
      target: "≥ 0.80×",
    };
    const rttRow: Row = {
      figure: `TCP round trip across hosts, 1 byte, median of ${ROUND_TRIPS} (median of ${runs} runs), pod to pod vs host to host`,
      cube: `${median(podRtt).toFixed(1)} µs`,
      docker: `${median(hostRtt).toFixed(1)} µs (hosts)`,
      ratio: `+${(median(podRtt) - median(hostRtt)).toFixed(1)} µs`,
      target: "≤ +50 µs",
    };
    const dnsRow: Row = {
      figure: `DNS: a cluster name asked of the agent on its gateway, ${DNS_QUERIES} queries one at a time: median / p99`,
      cube: `${quantile(times, 0.5).toFixed(0)} / ${quantile(times, 0.99).toFixed(0)} µs`,
      docker: "",
      ratio: "",
      target: "p99 < 1 ms",
    };
    return [throughputRow, rttRow, dnsRow];
  } finally {
    await hostServer.kill("SIGTERM");
    await cluster.stop();
    await bed.down();
    rmSync(tools, { recursive: true, force: true });
  }
}
