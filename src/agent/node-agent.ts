import * as grpc from "@grpc/grpc-js";
import { ClusterClient, type JoinResponse, type LeaderMessage, type NodeMessage } from "../gen/agent.js";
import { systemClock, type Clock } from "../shared/clock.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import type { Logger } from "../shared/logger.js";
import { stayJoined, type Membership } from "./stay-joined.js";

const JOIN_TIMEOUT_MS = 5000;

export interface NodeAgentOptions {
  name: string;
  /** host:port of the leader's Cluster service. */
  leaderAddress: string;
  /** host:port at which the leader reaches this node's Agent service (wildcard host: the leader uses our address). */
  agentAddress: string;
  nodeId: string;
  token: string;
  log: Logger;
  clock?: Clock;
}

/**
 * The node side of the cluster, the same on the leader's own node and on a follower: joins the leader, keeps a
 * sync stream open with heartbeats, and joins again whenever the stream breaks.
 */
export class NodeAgent {
  private readonly client: ClusterClient;
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(private readonly options: NodeAgentOptions) {
    this.client = new ClusterClient(options.leaderAddress, grpc.credentials.createInsecure(), grpcClientOptions(options.token));
  }

  start(): void {
    const membership: Membership<JoinResponse> = {
      join: () => this.join(),
      runSession: (joined, established, signal) => this.runSession(joined, established, signal),
    };
    const { leaderAddress, log, clock = systemClock } = this.options;
    this.running = stayJoined(membership, { leaderAddress, log, clock }, this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.client.close();
  }

  private join(): Promise<JoinResponse> {
    const { name, nodeId, agentAddress } = this.options;
    return new Promise((resolve, reject) => {
      this.client.join(
        { nodeName: name, nodeId, agentAddress },
        new grpc.Metadata(),
        { deadline: Date.now() + JOIN_TIMEOUT_MS },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
  }

  private runSession(joined: JoinResponse, established: () => void, signal: AbortSignal): Promise<string> {
    const stream: grpc.ClientDuplexStream<NodeMessage, LeaderMessage> = this.client.sync();
    const send = (message: NodeMessage) => stream.write(message);
    send({ hello: { nodeName: this.options.name, sessionId: joined.sessionId } });
    const heartbeats = setInterval(() => send({ heartbeat: { time: new Date() } }), joined.heartbeatIntervalMs);
    const stop = () => stream.cancel();
    signal.addEventListener("abort", stop);
    return new Promise<string>((resolve) => {
      stream.on("data", () => established());
      stream.on("error", (error: grpc.ServiceError) => resolve(error.details || error.message));
      stream.on("end", () => resolve("the leader ended the stream"));
    }).finally(() => {
      clearInterval(heartbeats);
      signal.removeEventListener("abort", stop);
      stream.cancel();
    });
  }
}
