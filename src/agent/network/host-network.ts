import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  ROUTE_PROTOCOL,
  VXLAN_DEVICE,
  type BridgePort,
  type FirewallRule,
  type HostCommand,
  type HostNetworkObserved,
  type ObservedVxlan,
} from "./plan-host-network.js";

/** Runs a command of the host (ip, bridge, iptables), `input` on its standard input, and resolves with its standard output. */
export type RunCommand = (argv: string[], input?: string) => Promise<string>;

const execFileAsync = promisify(execFile);

/** The host's own commands, in the agent's network namespace (on the test bed, the simulated host's). */
export const runHostCommand: RunCommand = async ([command, ...args], input) => {
  const running = execFileAsync(command, args, { maxBuffer: 256 * 1024 * 1024 });
  if (input !== undefined) running.child.stdin!.end(input);
  return (await running).stdout;
};

/** The chains where a node's rules live (see desiredRules). */
const RULE_CHAINS: { table: FirewallRule["table"]; chain: string }[] = [
  { table: "filter", chain: "DOCKER-USER" },
  { table: "nat", chain: "POSTROUTING" },
];

/** Splits a line of `iptables -S` into its words (a comment with spaces comes quoted). */
export function ruleWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]);
}

export interface LinkJson {
  ifname: string;
  mtu: number;
  address?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; local?: string } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function json<T>(run: RunCommand, argv: string[]): Promise<T> {
  const text = (await run(argv)).trim();
  return (text === "" ? [] : JSON.parse(text)) as T;
}

/** The host's interfaces with their addresses and details: read once per pass, for the uplink and the VXLAN device. */
export async function readLinks(run: RunCommand): Promise<LinkJson[]> {
  return json<LinkJson[]>(run, ["ip", "-j", "-d", "addr", "show"]);
}

function observeVxlan(links: LinkJson[]): ObservedVxlan | undefined {
  const link = links.find((l) => l.ifname === VXLAN_DEVICE);
  if (!link) return undefined;
  const data = link.linkinfo?.info_data ?? {};
  return {
    local: data.local,
    id: data.id ?? 0,
    port: data.port ?? 0,
    mtu: link.mtu,
    mac: link.address ?? "",
    up: link.flags?.includes("UP") ?? false,
    addresses: (link.addr_info ?? []).filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** The interface that holds `address`, and its MTU; undefined when no interface of this host has it. */
export function uplinkOf(links: LinkJson[], address: string): { name: string; mtu: number } | undefined {
  const link = links.find((l) => (l.addr_info ?? []).some((a) => a.local === address));
  return link && { name: link.ifname, mtu: link.mtu };
}

/** What the host has of what the pod network manages: read with iproute2's JSON output and `iptables -S`. */
export async function observeHostNetwork(run: RunCommand, links?: LinkJson[]): Promise<HostNetworkObserved> {
  const vxlan = observeVxlan(links ?? (await readLinks(run)));
  const routes = await json<{ dst: string; gateway?: string; dev: string; flags?: string[] }[]>(run, [
    ...["ip", "-j", "route", "show", "proto", String(ROUTE_PROTOCOL)],
  ]);
  const neighbours = vxlan
    ? (await json<{ dst: string; lladdr?: string }[]>(run, ["ip", "-j", "neigh", "show", "dev", VXLAN_DEVICE])).map((n) => ({
        dst: n.dst,
        mac: n.lladdr ?? "",
      }))
    : [];
  const forwarding = vxlan
    ? (await json<{ mac: string; dst?: string }[]>(run, ["bridge", "-j", "fdb", "show", "dev", VXLAN_DEVICE])).flatMap((entry) =>
        entry.dst ? [{ mac: entry.mac, dst: entry.dst }] : [],
      )
    : [];
  const rules: FirewallRule[] = [];
  for (const { table, chain } of RULE_CHAINS) {
    let listing: string;
    try {
      listing = await run(["iptables", "-t", table, "-S", chain]);
    } catch {
      continue; // no such chain yet (DOCKER-USER comes with the engine): nothing of ours in it
    }
    for (const line of listing.split("\n")) {
      const [flag, named, ...spec] = ruleWords(line);
      if (flag === "-A" && named === chain && spec.includes("--comment")) rules.push({ table, chain, spec });
    }
  }
  return {
    vxlan,
    routes: routes.map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev, onlink: r.flags?.includes("onlink") ?? false })),
    neighbours,
    forwarding,
    rules,
  };
}

/** The ports of a bridge and whether each is in hairpin mode. */
export async function observeBridgePorts(run: RunCommand, bridge: string): Promise<BridgePort[]> {
  type Port = { ifname: string; linkinfo?: { info_slave_data?: { hairpin?: boolean } } };
  return (await json<Port[]>(run, ["ip", "-j", "-d", "link", "show", "master", bridge])).map((port) => ({
    name: port.ifname,
    hairpin: port.linkinfo?.info_slave_data?.hairpin ?? false,
  }));
}

/** Runs a plan's commands in order; a failure stops it, with the command and the tool's own words. */
export async function applyHostCommands(run: RunCommand, commands: HostCommand[]): Promise<void> {
  for (const { argv, reason } of commands) {
    try {
      await run(argv);
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new Error(`\`${argv.join(" ")}\` (${reason}) failed: ${(stderr || message).trim()}`);
    }
  }
}
