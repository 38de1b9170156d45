import { hostname, networkInterfaces } from "node:os";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { certificateDigest, issuedBy, namesExactly, type CertifiedKey, type Identity } from "../../shared/tls/certificate-facts.js";
import type { Clock } from "../../shared/clock.js";
import { isWildcardHost, type HostPort } from "../../shared/host-port.js";
import type { Logger } from "../../shared/logger.js";
import { IN_MEMORY } from "../../shared/open-database.js";
import { startRenewalLoop } from "../../shared/tls/renewal-loop.js";
import { readIfExists, writeSecretFile } from "../../shared/secret-file.js";
import { ClientIdentity, RenewableServerCredentials } from "../../shared/tls/tls-credentials.js";
import { ClusterCa } from "./cluster-ca.js";

/**
 * The names the leader's certificate covers: the address it listens on (every address of the host when that is a
 * wildcard), its host name, loopback, and the extras the user gave (--tls-san), such as a NAT or DNS name.
 */
export function leaderHosts(listen: HostPort, extras: string[]): string[] {
  const addresses = isWildcardHost(listen.host)
    ? Object.values(networkInterfaces())
        .flat()
        .flatMap((address) => (address ? [address.address.replace(/%.*$/, "")] : []))
    : [listen.host];
  return [...new Set([...addresses, hostname().toLowerCase(), "localhost", "127.0.0.1", "::1", ...extras])];
}

/**
 * The leader's own certificate: it serves with it, and presents it to the nodes' Agent services. Kept in the data
 * directory and reused at the next start while it is valid and names the same hosts (the host's addresses may have
 * changed: then a new one is made); renewed at 50–80 % of its lifetime; open connections keep the one they began with.
 */
export class LeaderCertificate {
  readonly serverCredentials: RenewableServerCredentials;
  readonly clientIdentity: ClientIdentity;
  private readonly recentDigests: Buffer[];
  private readonly renewal: { stop(): void };

  private constructor(
    private readonly issue: () => Promise<CertifiedKey>,
    private current: CertifiedKey,
    private readonly ca: ClusterCa,
    clock: Clock,
    private readonly log: Logger,
  ) {
    this.serverCredentials = new RenewableServerCredentials(false, { ca: ca.certificate, identity: current });
    this.clientIdentity = new ClientIdentity(ca.certificate, current);
    this.recentDigests = [certificateDigest(current.certificate)];
    this.renewal = startRenewalLoop({
      clock,
      validity: () => {
        const certificate = new X509Certificate(this.current.certificate);
        return { from: new Date(certificate.validFrom), to: new Date(certificate.validTo) };
      },
      renew: () => this.renew(),
      failed: (error, retryInMs) =>
        log.error(`cannot renew the leader's certificate: ${(error as Error).message}; retrying in ${Math.ceil(retryInMs / 1000)}s`),
    });
  }

  static async create(
    ca: ClusterCa,
    dataDir: string,
    nodeName: string,
    hosts: string[],
    lifetimeMs: number,
    clock: Clock,
    log: Logger,
  ): Promise<LeaderCertificate> {
    const files = { certificate: join(dataDir, "leader.pem"), key: join(dataDir, "leader-key.pem") };
    const issue = async () => {
      const made = await ca.issueLeader(nodeName, hosts, new Date(clock.now()), lifetimeMs);
      if (dataDir !== IN_MEMORY) {
        writeSecretFile(files.key, made.key);
        writeSecretFile(files.certificate, made.certificate);
      }
      return made;
    };
    const identities: Identity[] = [{ role: "leader" }, { role: "node", name: nodeName }];
    const stored = dataDir === IN_MEMORY ? undefined : { certificate: readIfExists(files.certificate), key: readIfExists(files.key) };
    const reusable =
      stored?.certificate !== undefined &&
      stored.key !== undefined &&
      issuedBy(stored.certificate, ca.certificate, new Date(clock.now())) &&
      namesExactly(stored.certificate, identities, hosts);
    const current = reusable ? { certificate: stored.certificate!, key: stored.key! } : await issue();
    return new LeaderCertificate(issue, current, ca, clock, log);
  }

  /** The key and certificate it serves with now (the web view's HTTPS too). */
  get served(): CertifiedKey {
    return this.current;
  }

  /** Whether `digest` is that of a certificate this leader serves with (the current one, or the one just replaced). */
  isOwn(digest: Buffer): boolean {
    return this.recentDigests.some((own) => own.equals(digest));
  }

  stop(): void {
    this.renewal.stop();
  }

  private async renew(): Promise<void> {
    this.current = await this.issue();
    this.serverCredentials.renew({ ca: this.ca.certificate, identity: this.current });
    this.clientIdentity.update(this.current);
    this.recentDigests.unshift(certificateDigest(this.current.certificate));
    this.recentDigests.length = 2;
    this.log.info(`renewed the leader's certificate (valid until ${new X509Certificate(this.current.certificate).validTo})`);
  }
}

/**
 * The cluster CA kept in `dataDir` and the certificate the leader serves with: one way for a leader active and one
 * standing by, so that a change of role reuses the same certificate (same names) rather than issuing another.
 */
export async function openLeaderIdentity(
  config: { dataDir: string; name: string; listen: HostPort; tlsSans: string[]; certificateLifetimeMs: number },
  clock: Clock,
  log: Logger,
): Promise<{ ca: ClusterCa; certificate: LeaderCertificate }> {
  const ca = await ClusterCa.open(config.dataDir, new Date(clock.now()));
  const hosts = leaderHosts(config.listen, config.tlsSans);
  return { ca, certificate: await LeaderCertificate.create(ca, config.dataDir, config.name, hosts, config.certificateLifetimeMs, clock, log) };
}
