import * as grpc from "@grpc/grpc-js";
import { ClusterClient } from "../gen/agent.js";
import type { Clock } from "../shared/clock.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import type { Logger } from "../shared/logger.js";
import type { JoinToken } from "../shared/tls/join-token.js";
import { startRenewalLoop } from "../shared/tls/renewal-loop.js";
import { ClientIdentity, mutualChannelCredentials, type RenewableServerCredentials, type TrustAndIdentity } from "../shared/tls/tls-credentials.js";
import type { NodeCertificate } from "./node-certificate.js";

/** How long the node waits for the leader's answer to a join or a renewal. */
export const CALL_TIMEOUT_MS = 5000;

export interface LeaderConnectionOptions {
  name: string;
  token: JoinToken;
  certificate: NodeCertificate;
  /** The credentials of the node's own server (a follower's), renewed with its certificate. */
  serverCredentials?: RenewableServerCredentials;
  log: Logger;
}

/**
 * The node's client to the leader, under the node's certificate: obtained with the join token when the node has none,
 * renewed before it ends (on the injected clock, `startRenewalLoop`), and presented from then on, on new connections
 * to the leader and on the node's own server.
 */
export class LeaderConnection {
  private client?: ClusterClient;
  /** The leader the client calls. */
  private clientAddress?: string;
  private identity?: ClientIdentity;
  private certificateInUse?: string;
  private renewal?: { stop(): void };

  constructor(
    private readonly options: LeaderConnectionOptions,
    private readonly clock: Clock,
  ) {}

  /** A client of the leader at `leaderAddress` (the one in use if it calls that leader), with a certificate valid now. */
  async certifiedClient(leaderAddress: string): Promise<ClusterClient> {
    const { certificate, name, token, log } = this.options;
    if (this.clientAddress !== leaderAddress) {
      this.client?.close();
      this.client = undefined;
      this.clientAddress = leaderAddress;
    }
    let usable = certificate.usable(name, new Date(this.clock.now()));
    if (!usable) {
      await certificate.obtain(leaderAddress, token, name);
      usable = certificate.usable(name, new Date(this.clock.now()));
      if (!usable) throw new Error("the leader's certificate for this node is not valid now (are the clocks of the two machines far apart?)");
      log.info(`certified by the leader as node ${name} (certificate valid until ${certificate.validity!.to.toISOString()})`);
    }
    return this.use(usable);
  }

  /** The client in use: the one the last join was made on. */
  get current(): ClusterClient | undefined {
    return this.client;
  }

  /** Stops renewing and closes the client; `forget`: the node's key too (an admin removed the node). */
  close(forget = false): void {
    this.renewal?.stop();
    if (forget) this.options.certificate.forgetKey();
    this.client?.close();
    this.client = undefined;
  }

  /** Presents `usable` from now on: on new connections to the leader, and on the node's own server. */
  private use(usable: TrustAndIdentity): ClusterClient {
    if (this.certificateInUse !== usable.identity.certificate) {
      this.certificateInUse = usable.identity.certificate;
      this.options.serverCredentials?.renew(usable);
      if (this.identity) this.identity.update(usable.identity);
      else this.identity = new ClientIdentity(usable.ca, usable.identity);
      this.renewal ??= startRenewalLoop({
        clock: this.clock,
        validity: () => this.options.certificate.validity,
        renew: () => this.renew(),
        failed: (error, retryInMs, leftMs) =>
          this.options.log.warn(
            `cannot renew the node's certificate (valid for ${Math.max(0, Math.round(leftMs / 1000))}s more): ${(error as grpc.ServiceError).details ?? (error as Error).message}; retrying in ${Math.ceil(retryInMs / 1000)}s`,
          ),
      });
    }
    this.client ??= new ClusterClient(
      this.clientAddress!,
      mutualChannelCredentials(this.identity!, { role: "leader" }, this.clientAddress!),
      grpcClientOptions(),
    );
    return this.client;
  }

  /** Renews the certificate with the current one (no token needed), and puts the new one in use. */
  private async renew(): Promise<void> {
    const { certificate, name, log } = this.options;
    const certificateRequest = await certificate.renewalRequest();
    const response = await new Promise<{ certificate: string }>((resolve, reject) =>
      this.client!.renew({ certificateRequest }, new grpc.Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, answer) =>
        error ? reject(error) : resolve(answer),
      ),
    );
    certificate.renewed(response.certificate);
    const usable = certificate.usable(name, new Date(this.clock.now()));
    if (!usable) throw new Error("the renewed certificate is not valid now");
    this.use(usable);
    log.info(`renewed the node's certificate (valid until ${certificate.validity!.to.toISOString()})`);
  }
}
