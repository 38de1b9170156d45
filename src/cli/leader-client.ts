import type * as grpc from "@grpc/grpc-js";
import { Status } from "@grpc/grpc-js/build/src/constants.js";
import {
  CubeService,
  type CubeClient,
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
  type RotateSecretsKeyResponse,
  type Rollout,
  type RolloutHistoryResponse,
  type VersionResponse,
  type WatchEvent,
  type WatchRequest,
  type EventsRequest,
  type ResourceEvent,
} from "../gen/cube.js";
import { AUTHORIZATION, bearer, type DeviceCookieStore } from "../shared/tls/call-credentials.js";
import { DEVICE_METADATA } from "../shared/tls/device-cookie.js";
import { watchRequest } from "../shared/codec.js";
import { readIfExists, writeSecretFile } from "../shared/secret-file.js";
import { ACTIVE_LEADER_METADATA } from "../shared/unavailable-reason.js";
import { activeLeaderPath, deviceCookiePath, leaderAddresses, type CubeConfig } from "./config.js";
import { CallError, UnaryChannel, type UnaryMethod } from "./unary-channel.js";

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

/**
 * The CLI's connection to the leader (it never talks to any other server), with promise-returning calls: TLS verified
 * against the cluster CA, the admin password on each call. With several leaders in the config, a call that finds its
 * leader unavailable (down, or standing by) is made again on the next; the one that answered is asked first next time.
 */
export class LeaderClient {
  private readonly addresses: string[];
  private readonly channels = new Map<string, UnaryChannel>();
  private readonly streamClients = new Map<string, CubeClient>();
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
   * A client for the leader of `config`, verified with `ca` (leader-trust.ts finds it); with the device cookie the
   * leader gave this config, kept beside it.
   */
  static forConfig(config: CubeConfig, configFile: string, ca: string): LeaderClient {
    return new LeaderClient(
      config,
      ca,
      deviceCookieFile(deviceCookiePath(configFile, config.leaderUrl)),
      textFile(activeLeaderPath(configFile, config.leaderUrl)),
    );
  }

  /** The unary calls' connection to the leader asked now. */
  private get channel(): UnaryChannel {
    const address = this.addresses[this.current];
    let channel = this.channels.get(address);
    if (!channel) {
      channel = new UnaryChannel(address, this.ca);
      this.channels.set(address, channel);
    }
    return channel;
  }

  /**
   * The grpc-js client of the leader asked now, for streams (watch, logs, exec, port-forward): grpc-js is loaded only
   * by the commands that stream.
   */
  private async streamClient(): Promise<CubeClient> {
    const address = this.addresses[this.current];
    let client = this.streamClients.get(address);
    if (!client) {
      const [{ makeGenericClientConstructor }, { grpcClientOptions }, { leaderChannelCredentials }] = await Promise.all([
        import("@grpc/grpc-js"),
        import("../shared/grpc-client-options.js"),
        import("../shared/tls/tls-credentials.js"),
      ]);
      const Client = makeGenericClientConstructor(CubeService, "cube.v1.Cube") as unknown as typeof CubeClient;
      // Its own connections (not grpc-js's process-wide pool), so that a client made again connects again.
      const options = { ...grpcClientOptions(this.config.password, this.devices), "grpc.use_local_subchannel_pool": 1 };
      client = new Client(address, leaderChannelCredentials(this.ca, address), options);
      this.streamClients.set(address, client);
    }
    return client;
  }

  version(): Promise<VersionResponse> {
    return this.unary(CubeService.version, {});
  }

  listNodes(): Promise<ListNodesResponse> {
    return this.unary(CubeService.listNodes, {});
  }

  async cordon(name: string, cordoned: boolean): Promise<void> {
    await this.unary(CubeService.cordon, { name, cordoned });
  }

  drain(name: string): Promise<DrainResponse> {
    return this.unary(CubeService.drain, { name });
  }

  removeNode(name: string, force = false): Promise<RemoveNodeResponse> {
    return this.unary(CubeService.removeNode, { name, force });
  }

  async approveNode(name: string): Promise<void> {
    await this.unary(CubeService.approveNode, { name });
  }

  rotateToken(): Promise<RotateTokenResponse> {
    return this.unary(CubeService.rotateToken, {});
  }

  rotateSecretsKey(): Promise<RotateSecretsKeyResponse> {
    return this.unary(CubeService.rotateSecretsKey, {});
  }

  apply(manifestJson: string, dryRun = false): Promise<ApplyResponse> {
    return this.unary(CubeService.apply, { manifestJson, dryRun }, CALL_TIMEOUT_MS + Math.ceil(manifestJson.length / 1024) * APPLY_MS_PER_KIB);
  }

  list(type: string, selector = ""): Promise<ListResponse> {
    return this.unary(CubeService.list, { type, selector });
  }

  top(type: string, selector: string): Promise<TopResponse> {
    return this.unary(CubeService.top, { type, selector });
  }

  get(type: string, name: string): Promise<GetResponse> {
    return this.unary(CubeService.get, { type, name });
  }

  async scale(type: string, name: string, replicas: number): Promise<void> {
    await this.unary(CubeService.scale, { type, name, replicas });
  }

  rolloutStatus(name: string): Promise<DeploymentStatus> {
    return this.unary(CubeService.rolloutStatus, { name });
  }

  rolloutHistory(name: string): Promise<RolloutHistoryResponse> {
    return this.unary(CubeService.rolloutHistory, { name });
  }

  rolloutUndo(name: string, toRevision?: number): Promise<Rollout> {
    return this.unary(CubeService.rolloutUndo, { name, toRevision });
  }

  rolloutRestart(name: string): Promise<Rollout> {
    return this.unary(CubeService.rolloutRestart, { name });
  }

  async restart(type: string, name: string): Promise<void> {
    await this.unary(CubeService.restart, { type, name });
  }

  async delete(type: string, name: string, purge = false): Promise<void> {
    await this.unary(CubeService.delete, { type, name, purge });
  }

  /** The resources as they stand (or, resuming, the changes since), then each change (no deadline: a watch lasts until cancelled). */
  async watch(request: Partial<WatchRequest>): Promise<grpc.ClientReadableStream<WatchEvent>> {
    return (await this.streamClient()).watch(watchRequest(request));
  }

  /** Events, and with `watch` each new one (no deadline). */
  async events(request: EventsRequest): Promise<grpc.ClientReadableStream<ResourceEvent>> {
    return (await this.streamClient()).events(request);
  }

  /** A pod's log lines, as a stream (no deadline: `--follow` may last). */
  async logs(request: LogsRequest): Promise<grpc.ClientReadableStream<LogChunk>> {
    return (await this.streamClient()).logs(request);
  }

  async exec(): Promise<grpc.ClientDuplexStream<ExecInput, ExecOutput>> {
    return (await this.streamClient()).exec();
  }

  /** One tunnelled connection to a pod's port (no deadline: it lasts as long as the connection). */
  async portForward(): Promise<grpc.ClientDuplexStream<PortForwardInput, PortForwardOutput>> {
    return (await this.streamClient()).portForward();
  }

  close(): void {
    for (const channel of this.channels.values()) channel.close();
    for (const client of this.streamClients.values()) client.close();
  }

  /**
   * A call on the current leader; when it is unavailable (down, cut off, or standing by with no active leader to pass
   * it to), on the next, round after round for up to FAILOVER_WAIT_MS. Only UNAVAILABLE moves on: the call did not run
   * there, or (a connection lost during it) it is one whose repeat does the same (an apply, a delete, a scale).
   */
  private async unary<Request, Response>(method: UnaryMethod<Request, Response>, request: Request, timeoutMs = CALL_TIMEOUT_MS): Promise<Response> {
    const giveUpAt = Date.now() + FAILOVER_WAIT_MS;
    for (let tried = 1; ; tried++) {
      try {
        const response = await this.callOnce(method, request, timeoutMs);
        if (tried > 1) this.active?.write(this.addresses[this.current]);
        return response;
      } catch (error) {
        if (!(error instanceof CallError) || error.code !== Status.UNAVAILABLE || this.addresses.length === 1) throw error;
        const roundEnded = tried % this.addresses.length === 0;
        if (roundEnded && Date.now() >= giveUpAt) throw error;
        if (roundEnded) await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
        // A leader standing by names the active one: asked next, rather than the next in the list (it may be down).
        const named = this.addresses.indexOf(String(error.metadata[ACTIVE_LEADER_METADATA] ?? ""));
        this.current = named >= 0 && named !== this.current ? named : (this.current + 1) % this.addresses.length;
      }
    }
  }

  /**
   * One call on the current leader, with the password and the device cookie; a new cookie the leader gives is kept.
   * With several leaders, one that does not accept the connection within CONNECT_TIMEOUT_MS is passed over.
   */
  private async callOnce<Request, Response>(method: UnaryMethod<Request, Response>, request: Request, timeoutMs: number): Promise<Response> {
    const channel = this.channel;
    if (this.addresses.length > 1) await channel.connected(CONNECT_TIMEOUT_MS);
    const cookie = this.devices?.read();
    const metadata = { [AUTHORIZATION]: bearer(this.config.password), ...(cookie ? { [DEVICE_METADATA]: cookie } : {}) };
    const { response, headers } = await channel.call(method, request, timeoutMs, metadata);
    const given = headers[DEVICE_METADATA];
    if (this.devices && typeof given === "string" && given !== cookie) this.devices.write(given);
    return response;
  }
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
