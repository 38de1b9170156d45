import type { Server } from "node:net";
import { formatHostPort, type HostPort } from "./host-port.js";
import type { Logger } from "./logger.js";

/** Where a server serves something besides its API (metrics, the web view); `given`: the admin chose the address. */
export interface OptionalEndpoint {
  listen: HostPort;
  given: boolean;
}

/**
 * Binds `server` at `endpoint`; resolves with the address bound. A default address already taken (another cube-server
 * on this machine) is said and left (undefined): the server goes on without it. An address the admin gave that cannot
 * be bound is fatal.
 */
export function listenOptional(server: Server, endpoint: OptionalEndpoint, what: string, flag: string, log: Logger): Promise<HostPort | undefined> {
  return new Promise((resolve, reject) => {
    server.once("error", (error) => {
      const problem = `cannot serve ${what} on ${formatHostPort(endpoint.listen)}: ${error.message}`;
      if (endpoint.given) return reject(new Error(problem));
      log.warn(`${problem}: ${what} not served (--${flag} HOST:PORT serves it elsewhere, off not at all)`);
      resolve(undefined);
    });
    server.listen(endpoint.listen.port, endpoint.listen.host, () => {
      const bound = server.address();
      resolve({ ...endpoint.listen, port: typeof bound === "object" && bound ? bound.port : endpoint.listen.port });
    });
  });
}

/** Closes a server now: its open connections (a browser's live streams, a keep-alive scraper) are cut. */
export function closeNow(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
