import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { formatHostPort, type HostPort } from "./host-port.js";
import type { Logger } from "./logger.js";
import type * as grpc from "@grpc/grpc-js";
import { createMetricsRegistry, knownMethods, measureCalls } from "./metrics.js";

/**
 * Serves `GET /metrics` in Prometheus' text format, in plain HTTP and without a credential: it is bound to loopback
 * unless the admin says otherwise (--metrics-listen), as kubelet's and etcd's plain metrics ports are. The figures
 * name nodes and counts, never a secret or a pod's content.
 */
export function createMetricsServer(registry: Registry, log: Logger): Server {
  return createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at /metrics\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(request.method === "HEAD" ? undefined : text),
      (error: Error) => {
        log.error(`cannot gather the metrics: ${error.message}`);
        response.writeHead(500, { "content-type": "text/plain" }).end("cannot gather the metrics\n");
      },
    );
  });
}

/** Binds the metrics server; resolves with the port bound (port 0 picks a free one). */
export function listenMetrics(server: Server, address: HostPort): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new Error(`cannot serve metrics on ${formatHostPort(address)}: ${error.message}`)));
    server.listen(address.port, address.host, () => {
      const bound = server.address();
      resolve(typeof bound === "object" && bound ? bound.port : address.port);
    });
  });
}

/** Where a server serves its metrics; `given`: the admin chose it (a failure to bind is then fatal, not a warning). */
export interface MetricsEndpoint {
  listen: HostPort;
  given: boolean;
}

/** A server's metrics: its registry, the interceptor that measures its calls, and the endpoint that serves them. */
export interface ServerMetrics {
  registry: Registry;
  calls: grpc.ServerInterceptor;
  /** Serves the endpoint; a default address taken (another cube-server on this machine) is said, not fatal. */
  serve(log: Logger): Promise<void>;
  stop(): Promise<void>;
}

/** The metrics of a server that serves `services`, or none when the endpoint is off. */
export function serverMetrics(endpoint: MetricsEndpoint | undefined, ...services: grpc.ServiceDefinition[]): ServerMetrics | undefined {
  if (!endpoint) return undefined;
  const registry = createMetricsRegistry();
  let server: Server | undefined;
  return {
    registry,
    calls: measureCalls(registry, knownMethods(...services)),
    async serve(log) {
      const candidate = createMetricsServer(registry, log);
      try {
        const port = await listenMetrics(candidate, endpoint.listen);
        server = candidate;
        log.info(`metrics at http://${formatHostPort({ ...endpoint.listen, port })}/metrics`);
      } catch (error) {
        if (endpoint.given) throw error;
        log.warn(`${(error as Error).message}: metrics are not served (--metrics-listen HOST:PORT serves them elsewhere, off not at all)`);
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
