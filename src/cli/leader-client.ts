import * as grpc from "@grpc/grpc-js";
import {
  CubeClient,
  type ApplyResponse,
  type DeploymentStatus,
  type DrainResponse,
  type ExecInput,
  type ExecOutput,
  type GetResponse,
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
import { deviceCookiePath, type CubeConfig } from "./config.js";
import { leaderCa } from "./leader-trust.js";

const CALL_TIMEOUT_MS = 10_000;

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => grpc.ClientUnaryCall;

/**
 * The CLI's connection to the leader (it never talks to any other server), with promise-returning calls: TLS verified
 * against the cluster CA, the admin password on each call.
 */
export class LeaderClient {
  private readonly client: CubeClient;

  constructor(config: CubeConfig, ca: string, devices?: DeviceCookieStore) {
    this.client = new CubeClient(config.leaderUrl, leaderChannelCredentials(ca, config.leaderUrl), grpcClientOptions(config.password, devices));
  }

  /**
   * A client for the leader of `config`, whose CA is known, pinned, or verified now (see leaderCa); with the device
   * cookie the leader gave this config, kept beside it.
   */
  static async open(config: CubeConfig, configFile: string): Promise<LeaderClient> {
    return new LeaderClient(config, await leaderCa(config, configFile), deviceCookieFile(deviceCookiePath(configFile, config.leaderUrl)));
  }

  version(): Promise<VersionResponse> {
    return this.unary(this.client.version, {});
  }

  listNodes(): Promise<ListNodesResponse> {
    return this.unary(this.client.listNodes, {});
  }

  async cordon(name: string, cordoned: boolean): Promise<void> {
    await this.unary(this.client.cordon, { name, cordoned });
  }

  drain(name: string): Promise<DrainResponse> {
    return this.unary(this.client.drain, { name });
  }

  removeNode(name: string, force = false): Promise<RemoveNodeResponse> {
    return this.unary(this.client.removeNode, { name, force });
  }

  async approveNode(name: string): Promise<void> {
    await this.unary(this.client.approveNode, { name });
  }

  rotateToken(): Promise<RotateTokenResponse> {
    return this.unary(this.client.rotateToken, {});
  }

  rotateSecretsKey(): Promise<RotateSecretsKeyResponse> {
    return this.unary(this.client.rotateSecretsKey, {});
  }

  apply(manifestJson: string, dryRun = false): Promise<ApplyResponse> {
    return this.unary(this.client.apply, { manifestJson, dryRun });
  }

  list(type: string, selector = ""): Promise<ListResponse> {
    return this.unary(this.client.list, { type, selector });
  }

  get(type: string, name: string): Promise<GetResponse> {
    return this.unary(this.client.get, { type, name });
  }

  async scale(type: string, name: string, replicas: number): Promise<void> {
    await this.unary(this.client.scale, { type, name, replicas });
  }

  rolloutStatus(name: string): Promise<DeploymentStatus> {
    return this.unary(this.client.rolloutStatus, { name });
  }

  rolloutHistory(name: string): Promise<RolloutHistoryResponse> {
    return this.unary(this.client.rolloutHistory, { name });
  }

  rolloutUndo(name: string, toRevision?: number): Promise<Rollout> {
    return this.unary(this.client.rolloutUndo, { name, toRevision });
  }

  rolloutRestart(name: string): Promise<Rollout> {
    return this.unary(this.client.rolloutRestart, { name });
  }

  async restart(type: string, name: string): Promise<void> {
    await this.unary(this.client.restart, { type, name });
  }

  async delete(type: string, name: string, purge = false): Promise<void> {
    await this.unary(this.client.delete, { type, name, purge });
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
    this.client.close();
  }

  private unary<Request, Response>(method: UnaryMethod<Request, Response>, request: Request): Promise<Response> {
    return new Promise((resolve, reject) => {
      method.call(this.client, request, new grpc.Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }
}

/** A device cookie kept in a file (0600); a file that cannot be written is no reason to fail a command. */
function deviceCookieFile(path: string): DeviceCookieStore {
  return {
    read: () => readIfExists(path)?.trim() || undefined,
    write: (cookie) => {
      try {
        writeSecretFile(path, `${cookie}\n`);
      } catch {
        // The next call asks for another.
      }
    },
  };
}
