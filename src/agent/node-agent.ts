import * as grpc from "@grpc/grpc-js";
import { ClusterClient, type JoinResponse, type LeaderMessage, type NodeMessage } from "../gen/agent.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import type { RestartSettings } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import type { AgentStore } from "./agent-store.js";
import type { ContainerRuntime } from "./container-runtime.js";
import { PodSync } from "./pod-sync.js";
import { stayJoined, type Membership } from "./stay-joined.js";

const JOIN_TIMEOUT_MS = 5000;
const DEFAULT_SYNC_INTERVAL_MS = 1000;

export interface NodeAgentOptions {
  name: string;
  /** host:port of the leader's Cluster service. */
  leaderAddress: string;
  /** host:port at which the leader reaches this node's Agent service (wildcard host: the leader uses our address). */
  agentAddress: string;
  nodeId: string;
  token: string;
  store: AgentStore;
  runtime: ContainerRuntime;
  restartDefaults: RestartSettings;
  log: Logger;
  clock?: Clock;
  /** How often the node compares its containers with its pods even when nothing told it to. */
  syncIntervalMs?: number;
}

interface Session {
  send: (message: NodeMessage) => void;
  /** The last outbox sequence sent on this session. */
  sentUpTo: number;
}

/**
 * The node side of the cluster, the same on the leader's own node and on a follower: joins the leader, keeps a sync
 * stream open with heartbeats, takes the pods the leader assigns, runs them (PodSync), and sends back statuses and
 * events. It goes on supervising its pods while the leader is away, and joins again whenever the stream breaks.
 */
export class NodeAgent {
  private readonly client: ClusterClient;
  private readonly abort = new AbortController();
  private readonly pods: PodSync;
  private readonly clock: Clock;
  private session?: Session;
  private outboxFlush?: Promise<void>;
  private outboxAgain = false;
  private running?: Promise<void>;
  private syncTimer?: NodeJS.Timeout;

  constructor(private readonly options: NodeAgentOptions) {
    this.clock = options.clock ?? systemClock;
    this.client = new ClusterClient(options.leaderAddress, grpc.credentials.createInsecure(), grpcClientOptions(options.token));
    this.pods = new PodSync({
      node: options.name,
      runtime: options.runtime,
      store: options.store,
      clock: this.clock,
      log: options.log,
      restartDefaults: options.restartDefaults,
      outboxChanged: () => this.flushOutbox(),
      report: (pod, status) => this.session?.send({ podReport: { podUid: pod.uid, specHash: pod.specHash, status } }),
    });
  }

  start(): void {
    const membership: Membership<JoinResponse> = {
      join: () => this.join(),
      runSession: (joined, established, signal) => this.runSession(joined, established, signal),
    };
    const { leaderAddress, log } = this.options;
    this.running = stayJoined(membership, { leaderAddress, log, clock: this.clock }, this.abort.signal);
    this.pods.trigger();
    this.syncTimer = setInterval(() => this.pods.trigger(), this.options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.syncTimer);
    this.abort.abort();
    await this.running;
    await this.pods.idle();
    await this.outboxFlush;
    this.client.close();
  }

  private join(): Promise<JoinResponse> {
    const { name, nodeId, agentAddress } = this.options;
    return new Promise((resolve, reject) => {
      this.client.join({ nodeName: name, nodeId, agentAddress }, new grpc.Metadata(), { deadline: Date.now() + JOIN_TIMEOUT_MS }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  private runSession(joined: JoinResponse, established: () => void, signal: AbortSignal): Promise<string> {
    const stream: grpc.ClientDuplexStream<NodeMessage, LeaderMessage> = this.client.sync();
    const session: Session = { send: (message) => stream.write(message), sentUpTo: 0 };
    session.send({ hello: { nodeName: this.options.name, sessionId: joined.sessionId } });
    this.session = session;
    this.flushOutbox();
    this.pods.reportAllAgain();
    const heartbeats = setInterval(() => session.send({ heartbeat: {} }), joined.heartbeatIntervalMs);
    const stop = () => stream.cancel();
    signal.addEventListener("abort", stop);
    // Leader messages are handled one at a time, in order.
    let handling = Promise.resolve();
    return new Promise<string>((resolve) => {
      stream.on("data", (message: LeaderMessage) => {
        established();
        handling = handling
          .then(() => this.handle(message))
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

  private async handle(message: LeaderMessage): Promise<void> {
    if (message.assignments) {
      await this.options.store.replaceAssignments(message.assignments.pods);
      this.pods.trigger();
    }
    if (message.eventsAck) await this.options.store.acknowledge(message.eventsAck.upToSequence);
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
          if (entry.kind === "event") session.send({ event: { sequence: entry.sequence, podUid: entry.podUid, event: entry.event } });
          else session.send({ podRemoved: { sequence: entry.sequence, podUid: entry.podUid } });
          session.sentUpTo = entry.sequence;
        }
      } while (this.outboxAgain);
    })()
      .catch((error: Error) => this.options.log.error(`cannot send the outbox: ${error.message}`))
      .finally(() => (this.outboxFlush = undefined));
  }
}
