import * as grpc from "@grpc/grpc-js";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { secondsSince } from "./clock.js";

/**
 * A server's metrics (one registry per cube-server: the leader's and its own node's together), with the process's own
 * (CPU, memory, event loop lag, GC) as prom-client measures them.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Buckets for latencies from a millisecond to a minute. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * A label whose values come from outside (a node's event reasons, a caller's method path) kept to a bounded set: the
 * first `limit` values seen, then "other". A series per value lives for the process's life: an unbounded set is a leak.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) return "other";
    this.seen.add(value);
    return value;
  }
}

/** The services' methods a server serves, as "Service/Method": the only values the method label takes. */
export function knownMethods(...services: grpc.ServiceDefinition[]): Set<string> {
  return new Set(services.flatMap((service) => Object.values(service).map((method) => method.path.split(".").pop()!)));
}

/** What a server's calls are measured with: an interceptor for the calls admitted, a callback for those refused. */
export interface CallMetrics {
  interceptor: grpc.ServerInterceptor;
  refused(path: string, code: grpc.status): void;
}

/**
 * Counts every call a server answers, by method and status code, and how long it took (unary calls: to their answer;
 * streams: for their whole life, in a histogram of their own so that they do not drown the unary latencies).
 */
export function measureCalls(registry: Registry, methods: Set<string>): CallMetrics {
  const calls = new Counter({
    name: "cube_api_requests_total",
    help: "Calls answered, by method and gRPC status code",
    labelNames: ["method", "code"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "cube_api_request_duration_seconds",
    help: "Time to answer a unary call, by method",
    labelNames: ["method"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const streams = new Histogram({
    name: "cube_api_stream_duration_seconds",
    help: "How long a streaming call lasted, by method",
    labelNames: ["method"],
    buckets: [0.01, 0.1, 1, 10, 60, 600, 3600, 86_400],
    registers: [registry],
  });
  const methodOf = (path: string) => {
    const shortName = path.split(".").pop() ?? "";
    return methods.has(shortName) ? shortName : "other";
  };
  const codeOf = (code: grpc.status) => grpc.status[code] ?? String(code);
  const interceptor: grpc.ServerInterceptor = (descriptor, call) => {
    const method = methodOf(descriptor.path);
    const streaming = descriptor.requestStream || descriptor.responseStream;
    const started = process.hrtime.bigint();
    return new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        const seconds = secondsSince(started);
        calls.inc({ method, code: codeOf(status.code) });
        (streaming ? streams : latency).observe({ method }, seconds);
        next(status);
      },
    });
  };
  return { interceptor, refused: (path, code) => calls.inc({ method: methodOf(path), code: codeOf(code) }) };
}
