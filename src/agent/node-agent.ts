import * as grpc from "@grpc/grpc-js";
import { type AssignedPod, type JoinResponse, type LeaderMessage, type NodeMessage } from "../gen/agent.js";
import { systemClock, type Clock } from "../shared/clock.js";
import type { RestartSettings } from "../shared/domain.js";
import type { JoinToken } from "../shared/tls/join-token.js";
import type { Logger } from "../shared/logger.js";
import type { RenewableServerCredentials } from "../shared/tls/tls-credentials.js";
import type { AgentStore } from "./agent-store.js";
import type { ContainerRuntime } from "./container-runtime.js";
import type { NodeCertificate } from "./node-certificate.js";
import { CALL_TIMEOUT_MS, LeaderConnection } from "./leader-connection.js";
import { PodSync } from "./pod-sync.js";
import { desiredPodFromWire, eventToWire, keyedUpdateFromWire, podNetworkFromWire, podStatusToWire, servicesFromWire } from "../shared/codec.js";
import { NodeKeyed } from "./keyed/node-keyed.js";
import type { KeyedVolumeHost } from "./keyed/keyed-volume-host.js";
import { ServiceRules } from "./network/service-rules.js";
import { PodNetwork } from "./network/pod-network.js";
import { ClusterNames } from "./network/dns-server.js";
import type { RunCommand } from "./network/host-network.js";
import { saysRemoved } from "../shared/node-removal.js";
import { stayJoined, type Membership } from "./stay-joined.js";
import { UsageSampler } from "./usage/usage-sampler.js";
import type { AgentMetrics } from "./agent-metrics.js";
import type { WarmPoolSize } from "./warm-pool-demand.js";

const DEFAULT_SYNC_INTERVAL_MS = 1000;

export interface NodeAgentOptions {
  name: string;
  /** host:port of the leaders' Cluster service: joined in turn until one answers. */
  leaderAddresses: string[];
  /** host:port at which the leader reaches this node's Agent service (wildcard host: the leader uses our address). */
  agentAddress: string;
  nodeId: string;
  token: JoinToken;
  /** The node's key, certificate and pinned CA. */
  certificate: NodeCertificate;
  /** The credentials of the node's own server (a follower's), renewed with its certificate. */
  serverCredentials?: RenewableServerCredentials;
  store: AgentStore;
  runtime: ContainerRuntime;
  restartDefaults: RestartSettings;
  /** Sandboxes kept made ahead of need. */
  warmSandboxes: WarmPoolSize;
  /** The node's labels, which pods select with `nodeSelector`. */
  labels: Record<string, string>;
  /** The node of a leader standing by. */
  standbyLeader?: boolean;
  log: Logger;
  clock?: Clock;
  /** How often the node compares its containers with its pods even when nothing told it to. */
  syncIntervalMs?: number;
  /** How often the node measures its pods' usage. */
  usageIntervalMs: number;
  /** The node's metrics, when its server serves them. */
  metrics?: AgentMetrics;
  /** Runs the host's network commands (ip, bridge, iptables) for the pod network. */
  hostCommands: RunCommand;
  /** Where the node's secret and config volumes are written (a tmpfs of its own). */
  keyedVolumes: KeyedVolumeHost;
}

/** After leaving the cluster, how long the node waits for its pods to be gone before it tears down the pod network. */
const LEAVE_WAIT_MS = 120_000;

interface Session {
  send: (message: NodeMessage) => void;
  /** The parts of an assignment set received so far on this session. */
  assignmentParts: AssignedPod[];
  /** The last outbox sequence sent on this session. */
  sentUpTo: number;
}

/**
 * The node side of the cluster, the same on the leader's own node and on a follower: joins the leader, keeps a sync
 * stream open with heartbeats, takes the pods the leader assigns, runs them (PodSync), and sends back statuses and
 * events. It goes on supervising its pods while the leader is away, and joins again whenever the stream breaks.
 */
export class NodeAgent {
  private readonly connection: LeaderConnection;
  private readonly abort = new AbortController();
  private readonly pods: PodSync;
  private readonly network: PodNetwork;
  private readonly serviceRules: ServiceRules;
  /** The cluster's names, as the leader pushes them, for the node's DNS server. */
  private readonly names = new ClusterNames();
  /** The secrets and configs its pods use, as the leader pushes them (memory only). */
  private readonly keyed: NodeKeyed;
  private readonly usage: UsageSampler;
  private readonly clock: Clock;
  private session?: Session;
  private outboxFlush?: Promise<void>;
  private outboxAgain = false;
  private running?: Promise<void>;
  private syncTimer?: NodeJS.Timeout;
  private networkStarted?: Promise<void>;
  private stopping = false;
  /** The node left the cluster: its pods go, then its pod network. */
  private leaving?: Promise<void>;

  constructor(private readonly options: NodeAgentOptions) {
    this.clock = options.clock ?? systemClock;
    this.connection = new LeaderConnection(options, this.clock);
    this.network = new PodNetwork({
      node: options.name,
      runtime: options.runtime,
      store: options.store,
      run: options.hostCommands,
      log: options.log,
      names: this.names,
      changed: () => this.pods.trigger(),
    });
    this.serviceRules = new ServiceRules({
      node: options.name,
      run: options.hostCommands,
      log: options.log,
      applied: (version) => this.session?.send({ servicesApplied: { version } }),
    });
    this.keyed = new NodeKeyed(options.keyedVolumes, options.log);
    this.pods = new PodSync({
      keyed: this.keyed,
      node: options.name,
      runtime: options.runtime,
      store: options.store,
      clock: this.clock,
      log: options.log,
      restartDefaults: options.restartDefaults,
      warmSandboxes: options.warmSandboxes,
      network: this.network,
      outboxChanged: () => this.flushOutbox(),
      metrics: options.metrics,
      report: (pod, status) => this.session?.send({ podReport: { podUid: pod.uid, specHash: pod.specHash, status: podStatusToWire(status) } }),
    });
    this.usage = new UsageSampler({
      node: options.name,
      runtime: options.runtime,
      clock: this.clock,
      log: options.log,
      intervalMs: options.usageIntervalMs,
      metrics: options.metrics,
      send: (update) => {
        if (!this.session) return false;
        this.session.send({ usage: update });
        return true;
      },
    });
  }

  start(): void {
    const membership: Membership<JoinResponse> = {
      join: (leaderAddress) => this.join(leaderAddress),
      runSession: (joined, established, signal) => this.runSession(joined, established, signal),
    };
    const { leaderAddresses, log } = this.options;
    this.running = stayJoined(membership, { leaderAddresses, log, clock: this.clock }, this.abort.signal);
    this.usage.start();
    // Pods are decided once the pod network the node kept is set up again: a sandbox made before would be on the wrong one.
    this.networkStarted = this.network.start().finally(() => {
      this.pods.trigger();
      this.syncTimer = setInterval(() => this.pods.trigger(), this.options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.networkStarted;
    clearInterval(this.syncTimer);
    await this.usage.stop();
    this.abort.abort();
    await this.running;
    await this.leaving;
    await this.network.stop();
    await this.serviceRules.stop();
    await this.pods.stop();
    await this.outboxFlush;
    this.connection.close();
  }

  private async join(leaderAddress: string): Promise<JoinResponse> {
    try {
      const client = await this.connection.certifiedClient(leaderAddress);
      const { nodeId, agentAddress, labels, runtime, standbyLeader } = this.options;
      const { cpuMillis, memoryBytes, engineId } = await runtime.capacity();
      return await new Promise<JoinResponse>((resolve, reject) => {
        client.join(
          { nodeId, agentAddress, labels, cpuMillis, memoryBytes, engineId, standbyLeader: standbyLeader ?? false },
          new grpc.Metadata(),
          { deadline: Date.now() + CALL_TIMEOUT_MS },
          (error, response) => (error ? reject(error) : resolve(response)),
        );
      });
    } catch (error) {
      const { details, message } = error as Partial<grpc.ServiceError>;
      if (saysRemoved(details || message || "")) await this.leave(details || message || "");
      throw error;
    }
  }

  /**
   * An admin removed this node (`cube node rm`): it leaves the cluster. It stops joining, removes its pods'
   * containers (they run elsewhere now) and deletes its revoked key. It stays out until its server is restarted,
   * when it certifies a new key with the join token, if the token still lets it.
   */
  private async leave(refusal: string): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.connection.close(true);
    await this.options.store.replaceAssignments([]);
    this.pods.drainWarmPool();
    this.leaving = Promise.all([this.serviceRules.tearDown(), this.tearDownNetworkOnceContainersAreGone()]).then(() => undefined);
    this.options.log.error(
      `this node was removed from the cluster by an admin (cube node rm): it left, its pods' containers go, its key is deleted; it does not join again by itself: restart cube-server on this machine to join with a new key (if the join token still lets it). The leader said: ${refusal}`,
    );
  }

  /** The node's pod network goes once its containers (its pods', its warm sandboxes) are gone from the engine. */
  private async tearDownNetworkOnceContainersAreGone(): Promise<void> {
    const { store, runtime, name } = this.options;
    // An engine that cannot be asked counts as still holding some: the network goes only once it is seen empty.
    const containersLeft = async () =>
      (await store.localPods()).length +
      (await runtime.listContainers(name).then(
        (all) => all.length,
        () => 1,
      ));
    const deadline = this.clock.now() + LEAVE_WAIT_MS;
    while ((await containersLeft()) > 0) {
      if (this.stopping || this.clock.now() > deadline) return; // what is left is set right at the next start
      await this.clock.sleep(250);
    }
    await this.network.tearDown();
  }

  private runSession(joined: JoinResponse, established: () => void, signal: AbortSignal): Promise<string> {
    const stream: grpc.ClientDuplexStream<NodeMessage, LeaderMessage> = this.connection.current!.sync();
    const session: Session = { send: (message) => stream.write(message), sentUpTo: 0, assignmentParts: [] };
    session.send({ hello: { sessionId: joined.sessionId } });
    this.session = session;
    this.flushOutbox();
    this.pods.reportAllAgain();
    this.usage.sessionStarted();
    const heartbeats = setInterval(() => session.send({ heartbeat: {} }), joined.heartbeatIntervalMs);
    const stop = () => stream.cancel();
    signal.addEventListener("abort", stop);
    // Leader messages are handled one at a time, in order.
    let handling = Promise.resolve();
    return new Promise<string>((resolve) => {
      stream.on("data", (message: LeaderMessage) => {
        established();
        handling = handling
          .then(() => this.handle(message, session))
          .catch((error: Error) => this.options.log.error(`cannot handle the leader's message: ${error.message}`));
      });
      stream.on("error", (error: grpc.ServiceError) => resolve(error.details || error.message));
      stream.on("end", () => resolve("the leader ended the stream"));
    }).finally(() => {
      if (this.session === session) this.session = undefined;
      clearInterval(heartbeats);
      signal.removeEventListener("abort", stop);
      stream.cancel();
    });
  }

  private async handle(message: LeaderMessage, session: Session): Promise<void> {
    if (message.assignments) {
      // A large set comes in parts: it replaces the node's set once complete.
      session.assignmentParts.push(...message.assignments.pods);
      if (message.assignments.more) return;
      const pods = session.assignmentParts;
      session.assignmentParts = [];
      await this.options.store.replaceAssignments(pods.map(desiredPodFromWire));
      this.pods.trigger();
    }
    if (message.eventsAck) await this.options.store.acknowledge(message.eventsAck.upToSequence);
    if (message.podNetwork) await this.network.update(podNetworkFromWire(message.podNetwork));
    if (message.podNames) this.names.apply(message.podNames);
    if (message.services) this.serviceRules.update(servicesFromWire(message.services));
    if (message.keyed) {
      if (this.keyed.apply(keyedUpdateFromWire(message.keyed))) this.pods.trigger();
      this.session?.send({ keyedHeld: { refs: this.keyed.held() } });
    }
  }

  /** Sends what the outbox holds beyond what this session already sent; one flush at a time. */
  private flushOutbox(): void {
    if (this.outboxFlush) {
      this.outboxAgain = true;
      return;
    }
    this.outboxFlush = (async () => {
      do {
        this.outboxAgain = false;
        const session = this.session;
        if (!session) return;
        for (const entry of await this.options.store.outboxAfter(session.sentUpTo)) {
          if (entry.kind === "event") session.send({ event: { sequence: entry.sequence, podUid: entry.podUid, event: eventToWire(entry.event) } });
          else session.send({ podRemoved: { sequence: entry.sequence, podUid: entry.podUid } });
          session.sentUpTo = entry.sequence;
        }
      } while (this.outboxAgain);
    })()
      .catch((error: Error) => this.options.log.error(`cannot send the outbox: ${error.message}`))
      .finally(() => (this.outboxFlush = undefined));
  }
}
