import * as grpc from "@grpc/grpc-js";
import { ClusterService } from "../gen/agent.js";
import { CubeService } from "../gen/cube.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import { leaderChannelCredentials } from "../shared/tls/tls-credentials.js";
import { STANDING_BY } from "../shared/unavailable-reason.js";
import type { LeaseHolder } from "./election/lease-holder.js";

/**
 * Marks a call a standby forwarded: a standby never forwards such a call again (two standbys with stale views of the
 * lease would pass it back and forth), it answers that it stands by.
 */
const FORWARDED_BY = "cube-forwarded-by";

const asIs = (bytes: Buffer): Buffer => bytes;

/** A service definition whose messages pass as bytes: a standby forwards them without reading them. */
function passThrough(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [
      name,
      { ...method, requestSerialize: asIs, requestDeserialize: asIs, responseSerialize: asIs, responseDeserialize: asIs },
    ]),
  );
}

/** Writes what `from` reads into `to`, reading no faster than `to` takes it. */
function pump(from: NodeJS.EventEmitter & { pause(): unknown; resume(): unknown }, to: { write(bytes: Buffer): boolean } & NodeJS.EventEmitter): void {
  from.on("data", (bytes: Buffer) => {
    if (to.write(bytes)) return;
    from.pause();
    to.once("drain", () => from.resume());
  });
}

/** Passes a forwarded call's answers back to the caller: metadata, messages, then its status once every message is out. */
function relayAnswers(from: grpc.ClientReadableStream<Buffer>, to: grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>): void {
  let status: grpc.StatusObject | undefined;
  let drained = false;
  const finish = () => {
    if (!status || !drained) return;
    if (status.code === grpc.status.OK) to.end(status.metadata);
    else to.emit("error", { code: status.code, details: status.details, metadata: status.metadata });
  };
  from.on("metadata", (metadata: grpc.Metadata) => to.sendMetadata(metadata));
  pump(from, to);
  from.on("end", () => ((drained = true), finish()));
  from.on("status", (received: grpc.StatusObject) => ((status = received), finish()));
  from.on("error", () => undefined); // said by its status
}

/**
 * What a leader standing by serves besides its node (with the leader's certificate, so that the CLI accepts it): the
 * admin API, each call passed as it is (bytes, metadata, deadline, cancellation) to the active leader, which checks it
 * again and answers; and the nodes' Cluster service, which answers that this leader stands by and who is active, so
 * that a node moves on to the next leader. The active leader is the one the lease last named.
 */
export class StandbyFront {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    private readonly ca: string,
    private readonly name: string,
    private readonly active: () => LeaseHolder | undefined,
  ) {}

  serve(server: grpc.Server): void {
    const forwarders: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(CubeService)) forwarders[name] = this.forwarder(method);
    server.addService(passThrough(CubeService), forwarders);
    const refusals: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(ClusterService)) {
      refusals[name] = method.responseStream
        ? (call: grpc.ServerWritableStream<Buffer, Buffer>) => call.emit("error", this.refusal())
        : (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(this.refusal());
    }
    server.addService(passThrough(ClusterService), refusals);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** UNAVAILABLE, saying who is active: the caller tries the next leader. */
  private refusal(): grpc.ServerErrorResponse {
    const active = this.active();
    const details =
      active && active.name !== this.name ? `${STANDING_BY}: ${active.name} at ${active.address} is active` : `${STANDING_BY}: no leader is active yet`;
    return Object.assign(new Error(details), { code: grpc.status.UNAVAILABLE, details });
  }

  /** Where a call goes (the active leader's client) and what it carries, or why it is not forwarded. */
  private route(received: grpc.Metadata): { client: grpc.Client; metadata: grpc.Metadata } | { refused: grpc.ServerErrorResponse } {
    const active = this.active();
    if (!active || active.name === this.name || received.get(FORWARDED_BY).length > 0) return { refused: this.refusal() };
    let client = this.clients.get(active.address);
    if (!client) {
      client = new grpc.Client(active.address, leaderChannelCredentials(this.ca, active.address), grpcClientOptions());
      this.clients.set(active.address, client);
    }
    const metadata = received.clone();
    metadata.remove("user-agent");
    metadata.set(FORWARDED_BY, this.name);
    return { client, metadata };
  }

  private forwarder(method: { path: string; requestStream: boolean; responseStream: boolean }): grpc.UntypedHandleCall {
    const { path } = method;
    if (!method.responseStream) {
      if (method.requestStream) throw new Error(`${path}: a client-streaming method is not forwarded`);
      return (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const route = this.route(call.metadata);
        if ("refused" in route) return callback(route.refused);
        const forwarded = route.client.makeUnaryRequest(path, asIs, asIs, call.request, route.metadata, { deadline: call.getDeadline() }, (error, answer) =>
          callback(error, answer),
        );
        forwarded.on("metadata", (metadata: grpc.Metadata) => call.sendMetadata(metadata));
        call.on("cancelled", () => forwarded.cancel());
      };
    }
    if (!method.requestStream) {
      return (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const route = this.route(call.metadata);
        if ("refused" in route) return call.emit("error", route.refused);
        const forwarded = route.client.makeServerStreamRequest(path, asIs, asIs, call.request, route.metadata, { deadline: call.getDeadline() });
        relayAnswers(forwarded, call);
        call.on("cancelled", () => forwarded.cancel());
      };
    }
    return (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      const route = this.route(call.metadata);
      if ("refused" in route) return call.emit("error", route.refused);
      const forwarded = route.client.makeBidiStreamRequest(path, asIs, asIs, route.metadata, { deadline: call.getDeadline() });
      pump(call, forwarded);
      call.on("end", () => forwarded.end());
      relayAnswers(forwarded, call);
      call.on("cancelled", () => forwarded.cancel());
    };
  }
}
