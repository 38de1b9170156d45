import { randomBytes } from "node:crypto";
import { parseHostPort, formatHostPort, type HostPort } from "../../shared/host-port.js";

/** The leader that holds the lease, as the other leaders learn it: its node's name and where the CLI reaches it. */
export interface LeaseHolder {
  name: string;
  address: string;
}

/**
 * What a leader writes as the lease's holder: its name, its address, and a nonce of this process (a restarted leader
 * is another holder, see lease-keeper.ts). Names and addresses hold no space.
 */
export function holderText(name: string, address: HostPort): string {
  return `${name} ${formatHostPort(address)} ${randomBytes(4).toString("hex")}`;
}

/** The holder a lease names, or undefined when its text is not one `holderText` wrote. */
export function parseHolder(text: string): LeaseHolder | undefined {
  const [name, address, nonce, ...rest] = text.split(" ");
  if (!name || !address || !nonce || rest.length > 0) return undefined;
  try {
    return { name, address: formatHostPort(parseHostPort(address, "address")) };
  } catch {
    return undefined;
  }
}
