import type { HostPort } from "./host-port.js";

/** A started cube-server role (leader or follower). */
export interface RunningServer {
  /** The address actually listened on (the port resolved when 0 was asked). */
  address: HostPort;
  stop(): Promise<void>;
}
