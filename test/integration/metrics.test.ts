import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";
import { promtoolProblems, TestPrometheus } from "../helpers/prometheus.js";

const IMAGE = "cube-test/busybox:latest";

/** A leader and a follower on real Docker, each serving its metrics, scraped every second by a real Prometheus. */
describe("metrics, scraped by a real Prometheus", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(2);
  let prometheus: TestPrometheus;
  let urls: { leader: string; follower: string };
  const instance = (url: string) => new URL(url).host;

  before(async () => {
    const leader = await cluster.startLeader("metrics");
    const follower = cluster.startFollower("metrics-worker");
    await cluster.waitForNodes([
      { name: "metrics", status: "Ready", type: "Leader" },
      { name: "metrics-worker", status: "Ready", type: "Follower" },
    ]);
    urls = { leader: await cluster.metricsUrl(leader), follower: await cluster.metricsUrl(follower) };
    prometheus = await TestPrometheus.start([instance(urls.leader), instance(urls.follower)]);
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(async () => {
    await prometheus?.stop();
    await cluster.stop();
  });

  it("serves metrics Prometheus' linter finds no fault in (prom-client's own nodejs_* names aside)", async () => {
    for (const url of [urls.leader, urls.follower]) {
      const problems = await promtoolProblems(await (await fetch(url)).text());
      expect(problems.filter((line) => !line.startsWith("nodejs_"))).to.deep.equal([]);
    }
  });

  it("counts nodes, and a pod's placement, start and run", async () => {
    expect(await prometheus.eventually(`sum(cube_nodes{status="Ready"})`, (v) => v === 2)).to.equal(2);
    const started = await prometheus.value(`sum(cube_events_total{reason="Started"})`);
    await cluster.apply("web", {
      type: "pod",
      metadata: { name: "web" },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: IMAGE, command: ["sleep", "3600"] }] },
    });
    await cluster.waitForPodStatus("web", "Running");
    await prometheus.eventually(`cube_pods{phase="Running"}`, (v) => v === 1);
    await prometheus.eventually(`sum(cube_events_total{reason="Started"})`, (v) => v > started);
    await prometheus.eventually(`cube_pod_scheduling_duration_seconds_count`, (v) => v >= 1);
    await prometheus.eventually(`cube_pod_start_duration_seconds_count`, (v) => v >= 1);
    // Each node's agent counts its own containers: the pod's runs on one of them.
    await prometheus.eventually(`sum(cube_node_containers{state="running",kind="container"})`, (v) => v >= 1);
    for (const url of [urls.leader, urls.follower]) {
      await prometheus.eventually(`sum(cube_node_sync_duration_seconds_count{instance="${instance(url)}"})`, (v) => v > 0);
      await prometheus.eventually(`sum(cube_node_engine_call_duration_seconds_count{instance="${instance(url)}",call="listContainers"})`, (v) => v > 0);
    }
    expect(await prometheus.value(`count(nodejs_eventloop_lag_seconds)`)).to.equal(2);
  });

  it("counts a crashing pod's restarts and its failure", async () => {
    const backOffs = await prometheus.value(`sum(cube_events_total{reason="BackOff"})`);
    await cluster.apply("crash", {
      type: "pod",
      metadata: { name: "crash" },
      spec: { restart: { initialBackoffSeconds: 1, maxFailures: 2 }, containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "exit 3"] }] },
    });
    await cluster.waitForPodStatus("crash", "Failed", 60_000);
    await prometheus.eventually(`cube_pods{phase="Failed"}`, (v) => v === 1);
    await prometheus.eventually(`cube_pod_container_restarts`, (v) => v >= 1);
    await prometheus.eventually(`sum(cube_events_total{reason="BackOff"})`, (v) => v > backOffs);
  });

  it("counts API calls by method and code, refusals included, with their latencies", async () => {
    const refused = await cluster.cube(["list"], "not-the-password");
    expect(refused.code).to.not.equal(0);
    await prometheus.eventually(`sum(cube_api_requests_total{method="Cube/Apply",code="OK"})`, (v) => v >= 2);
    await prometheus.eventually(`sum(cube_api_requests_total{method="Cube/List",code="UNAUTHENTICATED"})`, (v) => v >= 1);
    await prometheus.eventually(`sum(cube_api_request_duration_seconds_count{method="Cube/Get"})`, (v) => v >= 1);
    await prometheus.eventually(`sum(cube_store_transaction_duration_seconds_count{kind="write"})`, (v) => v >= 1);
    // The nodes' sync streams are measured as streams, not as slow calls.
    expect(await prometheus.value(`sum(cube_api_request_duration_seconds_count{method="Cluster/Sync"})`)).to.equal(0);
    // Metrics name no pod: no label takes a pod's name or uid.
    const series = await prometheus.query(`{__name__=~"cube_.+"}`);
    const labelValues = series.flatMap((s) => Object.values(s.metric));
    expect(labelValues).to.not.include("web");
    expect(labelValues).to.not.include("crash");
  });

  it("gives the follower's metrics only of its node", async () => {
    const text = await (await fetch(urls.follower)).text();
    expect(text).to.contain("cube_node_containers");
    expect(text).to.not.contain("cube_pods{");
    await eventually("404 elsewhere", async () => ((await fetch(urls.follower.replace("/metrics", "/other"))).status === 404 ? true : undefined));
  });
});
