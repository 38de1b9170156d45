import type { Clock } from "../../shared/clock.js";
import { formatHostPort, reachableAddress } from "../../shared/host-port.js";
import type { Logger } from "../../shared/logger.js";
import { closeNow, listenOptional, type OptionalEndpoint } from "../../shared/optional-endpoint.js";
import { LeaderApi } from "./leader-api.js";
import { createWebServer } from "./web-server.js";
import { WebSessions } from "./web-sessions.js";

export interface WebViewOptions {
  /** Where the leader's API is reached from this process (loopback). */
  apiAddress: string;
  ca: string;
  adminPassword: string;
  certificate: () => { key: string; certificate: string };
  clock: Clock;
  log: Logger;
}

/** Serves the web view at `endpoint` (none: off); resolves with what stops it. */
export async function serveWebView(endpoint: OptionalEndpoint | undefined, options: WebViewOptions): Promise<() => Promise<void>> {
  if (!endpoint) return async () => {};
  const api = new LeaderApi(options.apiAddress, options.ca, options.adminPassword);
  const server = createWebServer({ api, sessions: new WebSessions(options.adminPassword, options.clock), log: options.log, certificate: options.certificate });
  const bound = await listenOptional(server, endpoint, "the web view", "web-listen", options.log);
  if (!bound) {
    api.close();
    return async () => {};
  }
  options.log.info(`web view at https://${formatHostPort(reachableAddress(bound))}/ (log in with the admin password)`);
  return async () => {
    await closeNow(server);
    api.close();
  };
}
