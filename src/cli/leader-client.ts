import * as grpc from "@grpc/grpc-js";
import {
  CubeClient,
  type ApplyResponse,
  type DeploymentStatus,
  type DrainResponse,
  type ExecInput,
  type ExecOutput,
  type GetResponse,
  type TopResponse,
  type ListNodesResponse,
  type ListResponse,
  type LogChunk,
  type LogsRequest,
  type PortForwardInput,
  type PortForwardOutput,
  type RemoveNodeResponse,
  type RotateTokenResponse,
  RotateSecretsKeyResponse,
  type Rollout,
  type RolloutHistoryResponse,
  type VersionResponse,
  type WatchEvent,
  type WatchRequest,
  type EventsRequest,
  type ResourceEvent,
} from "../gen/cube.js";
import type { DeviceCookieStore } from "../shared/tls/authorize-calls.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import { readIfExists, writeSecretFile } from "../shared/secret-file.js";
import { leaderChannelCredentials } from "../shared/tls/tls-credentials.js";
import { ACTIVE_LEADER_METADATA } from "../shared/unavailable-reason.js";
import { activeLeaderPath, deviceCookiePath, leaderAddresses, type CubeConfig } from "./config.js";
import { leaderCa } from "./leader-trust.js";

const CALL_TIMEOUT_MS = 10_000;
/** An apply may take longer as its manifest grows (10 000 pods, 2 MB: 30 s): the leader validates and writes each. */
const APPLY_MS_PER_KIB = 10;
/**
 * With several leaders, how long one may take to accept a connection before the next is tried: a leader cut off by a
 * silent partition, or paused, never refuses, and the call would wait for its deadline instead. Short: a leader slow
 * to connect costs little when passed over, as the next one, standing by, forwards the call to the active one.
 */
const CONNECT_TIMEOUT_MS = 1_000;

/**
 * With several leaders, how long a call goes on asking them in turn while none answers: a standby takes over within
 * about three seconds of the active leader's loss, and a command typed meanwhile waits for it rather than failing.
 */
const FAILOVER_WAIT_MS = 10_000;
const ROUND_PAUSE_MS = 200;

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => grpc.ClientUnaryCall;

/**
 * The CLI's connection to the leader (it never talks to any other server), with promise-returning calls: TLS verified
 * against the cluster CA, the admin password on each call. With several leaders in the config, a call that finds its
 * leader unavailable (down, or standing by) is made again on the next; the one that answered is asked first next time.
 */
export class LeaderClient {
  private readonly addresses: string[];
  private readonly clients = new Map<string, CubeClient>();
  private current: number;

  constructor(
    private readonly config: CubeConfig,
    private readonly ca: string,
    private readonly devices?: DeviceCookieStore,
    private readonly active?: { read(): string | undefined; write(address: string): void },
  ) {
    this.addresses = leaderAddresses(config.leaderUrl);
    this.current = Math.max(0, this.addresses.indexOf(active?.read() ?? ""));
  }

  /**
   * A client for the leader of `config`, whose CA is known, pinned, or verified now (see leaderCa); with the device
   * cookie the leader gave this config, kept beside it.
   */
  static async open(config: CubeConfig, configFile: string): Promise<LeaderClient> {
    const ca = await leaderCa(config, configFile);
    return new LeaderClient(
      config,
      ca,
      deviceCookieFile(deviceCookiePath(configFile, config.leaderUrl)),
      textFile(activeLeaderPath(configFile, config.leaderUrl)),
    );
  }

  /** The client of the leader asked now (streams stay on it). */
  private get client(): CubeClient {
    const address = this.addresses[this.current];
    let client = this.clients.get(address);
    if (!client) {
      // Its own connections (not grpc-js's process-wide pool), so that a client made again connects again.
      const options = { ...grpcClientOptions(this.config.password, this.devices), "grpc.use_local_subchannel_pool": 1 };
      client = new CubeClient(address, leaderChannelCredentials(this.ca, address), options);
      this.clients.set(address, client);
    }
    return client;
  }

  version(): Promise<VersionResponse> {
    return this.unary((client) => client.version, {});
  }

  listNodes(): Promise<ListNodesResponse> {
    return this.unary((client) => client.listNodes, {});
  }

  async cordon(name: string, cordoned: boolean): Promise<void> {
    await this.unary((client) => client.cordon, { name, cordoned });
  }

  drain(name: string): Promise<DrainResponse> {
    return this.unary((client) => client.drain, { name });
  }

  removeNode(name: string, force = false): Promise<RemoveNodeResponse> {
    return this.unary((client) => client.removeNode, { name, force });
  }

  async approveNode(name: string): Promise<void> {
    await this.unary((client) => client.approveNode, { name });
  }

  rotateToken(): Promise<RotateTokenResponse> {
    return this.unary((client) => client.rotateToken, {});
  }

  rotateSecretsKey(): Promise<RotateSecretsKeyResponse> {
    return this.unary((client) => client.rotateSecretsKey, {});
  }

  apply(manifestJson: string, dryRun = false): Promise<ApplyResponse> {
    return this.unary((client) => client.apply, { manifestJson, dryRun }, CALL_TIMEOUT_MS + Math.ceil(manifestJson.length / 1024) * APPLY_MS_PER_KIB);
  }

  list(type: string, selector = ""): Promise<ListResponse> {
    return this.unary((client) => client.list, { type, selector });
  }

  top(type: string, selector: string): Promise<TopResponse> {
    return this.unary((client) => client.top, { type, selector });
  }

  get(type: string, name: string): Promise<GetResponse> {
    return this.unary((client) => client.get, { type, name });
  }

  async scale(type: string, name: string, replicas: number): Promise<void> {
    await this.unary((client) => client.scale, { type, name, replicas });
  }

  rolloutStatus(name: string): Promise<DeploymentStatus> {
    return this.unary((client) => client.rolloutStatus, { name });
  }

  rolloutHistory(name: string): Promise<RolloutHistoryResponse> {
    return this.unary((client) => client.rolloutHistory, { name });
  }

  rolloutUndo(name: string, toRevision?: number): Promise<Rollout> {
    return this.unary((client) => client.rolloutUndo, { name, toRevision });
  }

  rolloutRestart(name: string): Promise<Rollout> {
    return this.unary((client) => client.rolloutRestart, { name });
  }

  async restart(type: string, name: string): Promise<void> {
    await this.unary((client) => client.restart, { type, name });
  }

  async delete(type: string, name: string, purge = false): Promise<void> {
    await this.unary((client) => client.delete, { type, name, purge });
  }

  /** The resources as they stand, then each change (no deadline: a watch lasts until cancelled). */
  watch(request: WatchRequest): grpc.ClientReadableStream<WatchEvent> {
    return this.client.watch(request);
  }

  /** Events, and with `watch` each new one (no deadline). */
  events(request: EventsRequest): grpc.ClientReadableStream<ResourceEvent> {
    return this.client.events(request);
  }

  /** A pod's log lines, as a stream (no deadline: `--follow` may last). */
  logs(request: LogsRequest): grpc.ClientReadableStream<LogChunk> {
    return this.client.logs(request);
  }

  exec(): grpc.ClientDuplexStream<ExecInput, ExecOutput> {
    return this.client.exec();
  }

  /** One tunnelled connection to a pod's port (no deadline: it lasts as long as the connection). */
  portForward(): grpc.ClientDuplexStream<PortForwardInput, PortForwardOutput> {
    return this.client.portForward();
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }

  /**
   * Drops the clients whose connection failed: grpc-js would wait out a growing backoff before trying again, and the
   * leader that comes up meanwhile (a standby taking over) would be found late.
   */
  private forgetUnreachable(): void {
    for (const [address, client] of this.clients) {
      if (client.getChannel().getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) continue;
      client.close();
      this.clients.delete(address);
    }
  }

  /**
   * A call on the current leader; when it is unavailable (down, cut off, or standing by with no active leader to pass
   * it to), on the next, round after round for up to FAILOVER_WAIT_MS. Only UNAVAILABLE moves on: the call did not run
   * there, or (a connection lost during it) it is one whose repeat does the same (an apply, a delete, a scale).
   */
  private async unary<Request, Response>(
    pick: (client: CubeClient) => UnaryMethod<Request, Response>,
    request: Request,
    timeoutMs = CALL_TIMEOUT_MS,
  ): Promise<Response> {
    const giveUpAt = Date.now() + FAILOVER_WAIT_MS;
    for (let tried = 1; ; tried++) {
      try {
        const response = await this.callOnce(pick, request, timeoutMs);
        if (tried > 1) this.active?.write(this.addresses[this.current]);
        return response;
      } catch (error) {
        if ((error as grpc.ServiceError).code !== grpc.status.UNAVAILABLE || this.addresses.length === 1) throw error;
        const roundEnded = tried % this.addresses.length === 0;
        if (roundEnded && Date.now() >= giveUpAt) throw error;
        if (roundEnded) {
          this.forgetUnreachable();
          await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
        }
        // A leader standing by names the active one: asked next, rather than the next in the list (it may be down).
        const named = this.addresses.indexOf(String((error as grpc.ServiceError).metadata?.get(ACTIVE_LEADER_METADATA)[0] ?? ""));
        this.current = named >= 0 && named !== this.current ? named : (this.current + 1) % this.addresses.length;
      }
    }
  }

  private async callOnce<Request, Response>(
    pick: (client: CubeClient) => UnaryMethod<Request, Response>,
    request: Request,
    timeoutMs: number,
  ): Promise<Response> {
    const client = this.client;
    if (this.addresses.length > 1) await connected(client, this.addresses[this.current]);
    return new Promise((resolve, reject) => {
      pick(client).call(client, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }
}

/**
 * Resolves once the client's channel is connected; rejects as UNAVAILABLE as soon as the connection fails (refused,
 * or refused by TLS), or when it is not made within CONNECT_TIMEOUT_MS.
 */
function connected(client: CubeClient, address: string): Promise<void> {
  const channel = client.getChannel();
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  const unavailable = (why: string) => Object.assign(new Error(why), { code: grpc.status.UNAVAILABLE, details: why });
  return new Promise((resolve, reject) => {
    const check = () => {
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) return resolve();
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
        return reject(unavailable(`cannot connect to the leader at ${address}`));
      }
      channel.watchConnectivityState(state, deadline, (error) =>
        error ? reject(unavailable(`cannot reach the leader at ${address} within ${CONNECT_TIMEOUT_MS / 1000} s`)) : check(),
      );
    };
    check();
  });
}

/** A line kept in a file (0600); a file that cannot be written is no reason to fail a command. */
function textFile(path: string): { read(): string | undefined; write(text: string): void } {
  return {
    read: () => readIfExists(path)?.trim() || undefined,
    write: (text) => {
      try {
        writeSecretFile(path, `${text}\n`);
      } catch {
        // Asked for again, or found again, next time.
      }
    },
  };
}

/** A device cookie kept in a file. */
const deviceCookieFile = (path: string): DeviceCookieStore => textFile(path);
