import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import dnsPacket, { type Packet } from "dns-packet";
import { CLUSTER_ZONE, type NameRecord } from "../../shared/domain.js";
import type { Logger } from "../../shared/logger.js";

/** Clients keep an answer this long: names follow pods that come and go. */
export const NAME_TTL_SECONDS = 5;
/** Response codes, which dns-packet takes as the low bits of the flags. */
const NXDOMAIN = 3;
const SERVFAIL = 2;
/** How long a forwarded question waits for the node's own resolver. */
const FORWARD_TIMEOUT_MS = 2000;

/** The cluster's names as the leader pushed them: all at once, then what changed. */
export class ClusterNames {
  private table = new Map<string, string[]>();

  apply(update: { complete: boolean; records: NameRecord[] }): void {
    if (update.complete) this.table = new Map();
    for (const { name, addresses } of update.records) {
      if (addresses.length === 0) this.table.delete(name);
      else this.table.set(name, addresses);
    }
  }

  addresses(name: string): string[] | undefined {
    return this.table.get(name);
  }
}

/** What the server does with a question: answer it from the cluster's names, or ask the node's own resolver. */
export type Resolution = { answer: string[] } | { notFound: true } | { forward: true };

/**
 * `web.cube.internal` and `web` (a pod's search list makes the second the first) are the cluster's, and so are
 * `tasks.web.cube.internal` and `tasks.web`; a name of the zone that the cluster does not have does not exist; every
 * other name is the node's resolver's to answer.
 */
export function resolveName(question: string, names: Pick<ClusterNames, "addresses">): Resolution {
  const name = question.toLowerCase().replace(/\.$/, "");
  const zone = `.${CLUSTER_ZONE}`;
  if (name.endsWith(zone) || name === CLUSTER_ZONE) {
    const addresses = names.addresses(name.slice(0, -zone.length));
    return addresses ? { answer: addresses } : { notFound: true };
  }
  const addresses = names.addresses(name);
  return addresses ? { answer: addresses } : { forward: true };
}

/** The answer to a query about the cluster's names: its A records (none for another type of the same name: NODATA). */
export function answerPacket(query: Packet, resolution: Exclude<Resolution, { forward: true }>): Packet {
  const [question] = query.questions ?? [];
  const found = "answer" in resolution;
  return {
    id: query.id,
    type: "response",
    flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | (found ? 0 : NXDOMAIN),
    questions: query.questions,
    answers:
      found && question.type === "A"
        ? resolution.answer.map((address) => ({ type: "A" as const, name: question.name, ttl: NAME_TTL_SECONDS, data: address }))
        : [],
  } as Packet;
}

/** A resolver to relay questions to. */
export interface Upstream {
  host: string;
  port: number;
}

/** The name servers of the host's /etc/resolv.conf. */
export function hostResolvers(resolvConf = "/etc/resolv.conf"): Upstream[] {
  try {
    return [...readFileSync(resolvConf, "utf8").matchAll(/^\s*nameserver\s+(\S+)/gm)].map((match) => ({ host: match[1], port: 53 }));
  } catch {
    return [];
  }
}

/**
 * A small DNS server on the pod network's gateway (UDP port 53): the cluster's names from `names`, anything else
 * relayed to the host's own resolvers. Pods reach it through Docker's embedded resolver, which forwards to it.
 */
export class DnsServer {
  private socket?: Socket;

  constructor(
    private readonly names: Pick<ClusterNames, "addresses">,
    private readonly log: Logger,
    private readonly upstreams: () => Upstream[] = () => hostResolvers(),
  ) {}

  /** Listens on `address` (port 53 unless given); resolves with the port once bound. */
  async listen(address: string, port = 53): Promise<number> {
    const socket = createSocket("udp4");
    socket.on("message", (message, peer) => void this.handle(socket, message, peer));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", (error) => {
        // An unbound socket is still a descriptor: the pod network tries again at each change of the cluster.
        socket.close();
        reject(error);
      });
      socket.bind(port, address, () => {
        socket.removeAllListeners("error");
        resolve();
      });
    });
    socket.on("error", (error) => this.log.warn(`DNS server on ${address}: ${error.message}`));
    this.socket = socket;
    return socket.address().port;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private async handle(socket: Socket, message: Buffer, peer: RemoteInfo): Promise<void> {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return; // not DNS: nothing to answer
    }
    const [question] = query.questions ?? [];
    if (!question) return;
    const resolution = resolveName(question.name, this.names);
    const reply = "forward" in resolution ? await this.forward(message, query) : dnsPacket.encode(answerPacket(query, resolution));
    socket.send(reply, peer.port, peer.address);
  }

  /** Asks the host's first resolver; SERVFAIL when it has none or it does not answer in time. */
  private async forward(message: Buffer, query: Packet): Promise<Buffer> {
    const [upstream] = this.upstreams();
    const failed = () =>
      dnsPacket.encode({ id: query.id, type: "response", flags: dnsPacket.RECURSION_AVAILABLE | SERVFAIL, questions: query.questions } as Packet);
    if (!upstream) return failed();
    const socket = createSocket(upstream.host.includes(":") ? "udp6" : "udp4");
    try {
      return await new Promise<Buffer>((resolve) => {
        const timer = setTimeout(() => resolve(failed()), FORWARD_TIMEOUT_MS);
        socket.on("message", (reply) => {
          clearTimeout(timer);
          resolve(reply);
        });
        socket.on("error", () => {
          clearTimeout(timer);
          resolve(failed());
        });
        socket.send(message, upstream.port, upstream.host);
      });
    } finally {
      socket.close();
    }
  }
}
