import { createHash } from "node:crypto";
import type { ServiceEntry, ServicePort } from "../../shared/domain.js";

/**
 * Services in the kernel's data path (nat table, as kube-proxy's iptables mode): each node owns chains named with a
 * hash of its name (nodes that share a host share its tables), reached from PREROUTING and OUTPUT (traffic to a
 * virtual IP or a node port is DNATed to a ready endpoint, chosen at random, evenly; conntrack keeps each connection
 * on its endpoint) and from POSTROUTING (what must leave with this node's address). In the filter table, from FORWARD
 * (through Docker's DOCKER-USER) and OUTPUT, a service without a ready endpoint refuses at once (ICMP port unreachable) instead of letting the
 * connection hang.
 */

export type ServiceTable = "nat" | "filter";

/** The mark of a packet that must leave with the node's address: a node port's traffic forwarded to any endpoint. */
export const MASQUERADE_MARK = "0x4000/0x4000";

const hash = (text: string, length: number) => createHash("sha256").update(text).digest("hex").slice(0, length);

/** The comment of a node's jumps from the built-in chains. */
export const serviceRuleComment = (node: string) => `cube-svc:${node}`;

/** The chains a node owns: every name starts with `prefix`. */
export function serviceChains(node: string) {
  const id = hash(node, 6);
  return {
    own: (chain: string) => chain.slice(7, 13) === id && /^CUBE-[SNMPLR]-/.test(chain),
    /** Virtual IPs, then (to the node's own addresses) node ports. */
    services: `CUBE-S-${id}`,
    nodePorts: `CUBE-N-${id}`,
    /** What leaves with the node's address. */
    masquerade: `CUBE-M-${id}`,
    /** Services without a ready endpoint (filter table). */
    reject: `CUBE-R-${id}`,
    /** A service port's balancing over every ready endpoint, or over this node's only (Local). */
    port: (service: string, p: ServicePort, local = false) => `CUBE-${local ? "L" : "P"}-${id}-${hash(`${service}/${p.port}/${p.protocol}`, 10)}`,
  };
}

/** The table a chain of the node's is in. */
export const tableOf = (chain: string): ServiceTable => (chain.startsWith("CUBE-R-") ? "filter" : "nat");

/** A jump from a built-in chain into the node's chains; `key` names it as "table/chain". */
export interface ServiceJump {
  table: ServiceTable;
  chain: string;
  spec: string;
  key: string;
}

/** Where the node's chains are entered from: built-in chains. */
export function serviceJumps(node: string): ServiceJump[] {
  const chains = serviceChains(node);
  const comment = `-m comment --comment ${serviceRuleComment(node)}`;
  const jump = (table: ServiceTable, chain: string, target: string) => ({ table, chain, spec: `${comment} -j ${target}`, key: `${table}/${chain}` });
  return [
    jump("nat", "PREROUTING", chains.services),
    jump("nat", "OUTPUT", chains.services),
    jump("nat", "POSTROUTING", chains.masquerade),
    // Docker keeps DOCKER-USER first in FORWARD, ahead of the rules it adds for each network.
    jump("filter", "DOCKER-USER", chains.reject),
    jump("filter", "OUTPUT", chains.reject),
  ];
}

/** Balancing over `endpoints`: the i-th of n is taken with probability 1/(n-i), so each with 1/n. */
function balance(endpoints: { address: string }[], p: ServicePort): string[] {
  return endpoints.map((endpoint, index) => {
    const left = endpoints.length - index;
    const random = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(10)} ` : "";
    return `-p ${p.protocol} ${random}-j DNAT --to-destination ${endpoint.address}:${p.targetPort}`;
  });
}

/** The rules of each chain the node must have for `services` (a chain's rules in order, as given to iptables-restore). */
export function desiredServiceChains(node: string, services: ServiceEntry[]): Map<string, string[]> {
  const chains = serviceChains(node);
  const result = new Map<string, string[]>();
  const dispatch: string[] = [];
  const nodePorts: string[] = [];
  const hairpins = new Set<string>();
  const refused: string[] = [];
  for (const service of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    const local = service.endpoints.filter((endpoint) => endpoint.node === node);
    // A pod that reaches itself through its service must see the reply come from elsewhere than itself.
    for (const endpoint of local) hairpins.add(endpoint.address);
    for (const p of service.ports) {
      if (service.endpoints.length === 0) {
        // Nothing to balance over: a client is told at once.
        refused.push(`-d ${service.clusterIp}/32 -p ${p.protocol} -m ${p.protocol} --dport ${p.port} -j REJECT --reject-with icmp-port-unreachable`);
        continue;
      }
      const chain = chains.port(service.name, p);
      result.set(chain, balance(service.endpoints, p));
      const match = `-p ${p.protocol} -m ${p.protocol} --dport`;
      dispatch.push(`-d ${service.clusterIp}/32 ${match} ${p.port} -j ${chain}`);
      if (p.nodePort === undefined) continue;
      if (service.externalTrafficPolicy === "Local") {
        // Only this node's endpoints, and no masquerade: the endpoint sees the client's own address.
        if (local.length === 0) continue;
        const localChain = chains.port(service.name, p, true);
        result.set(localChain, balance(local, p));
        nodePorts.push(`${match} ${p.nodePort} -j ${localChain}`);
      } else {
        // Any node's endpoints: the reply must come back through this node, so the packet leaves with its address.
        nodePorts.push(`${match} ${p.nodePort} -j MARK --set-xmark ${MASQUERADE_MARK}`, `${match} ${p.nodePort} -j ${chain}`);
      }
    }
  }
  dispatch.push(`! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j ${chains.nodePorts}`);
  result.set(chains.services, dispatch);
  result.set(chains.nodePorts, nodePorts);
  result.set(chains.masquerade, [
    `-m mark --mark ${MASQUERADE_MARK} -j MASQUERADE`,
    ...[...hairpins].sort().map((address) => `-s ${address}/32 -d ${address}/32 -j MASQUERADE`),
  ]);
  result.set(chains.reject, refused);
  return result;
}

/** What the host has of a node's service rules: its chains (by name) and which of its jumps are in place (by key). */
export interface ObservedServiceRules {
  chains: Set<string>;
  jumps: Set<string>;
}

/** An iptables-restore input (--noflush) and why; none when all is in place. */
export interface ServiceRulesPlan {
  restore?: string;
  /** What the node's chains hold once the input is applied. */
  written: Map<string, string[]>;
  reasons: string[];
}

/**
 * The input that brings the node's rules to `services` (undefined: none at all, the node left): chains written since
 * this agent started (`written`) that still hold what they must are left alone, so one endpoint's change rewrites one
 * chain. Every declared chain is flushed by iptables-restore; a chain no longer wanted goes once nothing jumps to it
 * (its jumps are rewritten in the same input, which the kernel applies at once).
 */
export function planServiceRules(
  node: string,
  services: ServiceEntry[] | undefined,
  observed: ObservedServiceRules,
  written: ReadonlyMap<string, string[]>,
): ServiceRulesPlan {
  const chains = serviceChains(node);
  const desired = services ? desiredServiceChains(node, services) : new Map<string, string[]>();
  const reasons = new Set<string>();
  const stale = [...new Set([...observed.chains, ...written.keys()])].filter((chain) => chains.own(chain) && !desired.has(chain));
  const changed = [...desired].filter(([chain, rules]) => !observed.chains.has(chain) || written.get(chain)?.join("\n") !== rules.join("\n"));
  const jumps = serviceJumps(node);
  const sections: string[] = [];
  for (const table of ["nat", "filter"] as const) {
    const lines: string[] = [];
    const inTable = (chain: string) => tableOf(chain) === table;
    for (const [chain] of changed.filter(([chain]) => inTable(chain))) lines.push(`:${chain} - [0:0]`);
    for (const chain of stale.filter(inTable)) lines.push(`:${chain} - [0:0]`);
    const tableJumps = jumps.filter((jump) => jump.table === table);
    if (!services) {
      for (const jump of tableJumps) if (observed.jumps.has(jump.key)) lines.push(`-D ${jump.chain} ${jump.spec}`);
      if (tableJumps.some((jump) => observed.jumps.has(jump.key))) reasons.add("the node left: its service rules go");
    }
    for (const [chain, rules] of changed.filter(([chain]) => inTable(chain))) {
      for (const rule of rules) lines.push(`-A ${chain} ${rule}`);
      reasons.add(written.has(chain) ? "services or endpoints changed" : "the node's service rules are written");
    }
    if (services) {
      // First in their chains: before Docker's own rules (its DNAT of published ports, its FORWARD verdicts).
      for (const jump of tableJumps) {
        if (observed.jumps.has(jump.key)) continue;
        lines.push(`-I ${jump.chain} 1 ${jump.spec}`);
        reasons.add(`the jump from ${jump.chain} (${table}) is missing`);
      }
    }
    for (const chain of stale.filter(inTable)) lines.push(`-X ${chain}`);
    if (lines.length > 0) sections.push(`*${table}`, ...lines, "COMMIT");
  }
  if (stale.length > 0) reasons.add("rules of services gone");
  return { restore: sections.length > 0 ? [...sections, ""].join("\n") : undefined, written: desired, reasons: [...reasons] };
}

/** The node's chains and jumps in an `iptables-save` listing (every table). */
export function observeServiceRules(node: string, listing: string): ObservedServiceRules {
  const chains = serviceChains(node);
  const observed: ObservedServiceRules = { chains: new Set(), jumps: new Set() };
  const jumps = serviceJumps(node);
  let table = "";
  for (const line of listing.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    const declared = /^:(\S+)/.exec(line);
    if (declared && chains.own(declared[1])) observed.chains.add(declared[1]);
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (!rule) continue;
    const jump = jumps.find(
      (j) => j.table === table && j.chain === rule[1] && rule[2].includes(serviceRuleComment(node)) && rule[2].endsWith(` -j ${j.spec.split(" -j ")[1]}`),
    );
    if (jump) observed.jumps.add(jump.key);
  }
  return observed;
}
