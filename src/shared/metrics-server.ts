import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import { formatHostPort } from "./host-port.js";
import type { Logger } from "./logger.js";
import type * as grpc from "@grpc/grpc-js";
import { createMetricsRegistry, knownMethods, measureCalls, type CallMetrics } from "./metrics.js";
import { closeNow, listenOptional, type OptionalEndpoint } from "./optional-endpoint.js";

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

/** A server's metrics: its registry, the interceptor that measures its calls, and the endpoint that serves them. */
export interface ServerMetrics {
  registry: Registry;
  calls: CallMetrics;
  /** Serves the endpoint (see listenOptional). */
  serve(log: Logger): Promise<void>;
  stop(): Promise<void>;
}

/** The metrics of a server that serves `services`, or none when the endpoint is off. */
export function serverMetrics(endpoint: OptionalEndpoint | undefined, ...services: grpc.ServiceDefinition[]): ServerMetrics | undefined {
  if (!endpoint) return undefined;
  const registry = createMetricsRegistry();
  let server: Server | undefined;
  return {
    registry,
    calls: measureCalls(registry, knownMethods(...services)),
    async serve(log) {
      server = createMetricsServer(registry, log);
      const bound = await listenOptional(server, endpoint, "metrics", "metrics-listen", log);
      if (bound) log.info(`metrics at http://${formatHostPort(bound)}/metrics`);
      else server = undefined;
    },
    stop: async () => {
      if (server) await closeNow(server);
    },
  };
}
