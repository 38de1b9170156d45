import * as grpc from "@grpc/grpc-js";
import { ClusterService } from "../gen/agent.js";
import { CubeService } from "../gen/cube.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import { leaderChannelCredentials } from "../shared/tls/tls-credentials.js";
import { ACTIVE_LEADER_METADATA, STANDING_BY } from "../shared/unavailable-reason.js";
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

/**
 * Passes a forwarded call's answers back to the caller: metadata, messages, then its status once every message is out.
 * `end` is called once, with how the caller's call ends.
 */
function relayAnswers(
  from: grpc.ClientReadableStream<Buffer>,
  end: (send: () => void) => void,
  to: grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>,
): void {
  let status: grpc.StatusObject | undefined;
  let drained = false;
  const finish = () => {
    if (!status || !drained) return;
    const { code, details, metadata } = status;
    end(() => (code === grpc.status.OK ? to.end(metadata) : to.emit("error", { code, details, metadata })));
  };
  from.on("metadata", (metadata: grpc.Metadata) => to.sendMetadata(metadata));
  pump(from, to);
  from.on("end", () => ((drained = true), finish()));
  from.on("status", (received: grpc.StatusObject) => ((status = received), finish()));
  from.on("error", () => undefined); // said by its status
}

/** A call forwarded to `address`, under way. */
interface Underway {
  address: string;
  /** Ends the caller's call UNAVAILABLE (it asks again, and finds the leader now active) and cancels the forwarded one. */
  abandon(): void;
}

/**
 * What a leader standing by serves besides its node (with the leader's certificate, so that the CLI accepts it): the
 * admin API, each call passed as it is (bytes, metadata, deadline, cancellation) to the active leader, which checks it
 * again and answers; and the nodes' Cluster service, which answers that this leader stands by and who is active, so
 * that a node moves on to the next leader. The active leader is the one the lease last named.
 */
export class StandbyFront {
  private readonly clients = new Map<string, grpc.Client>();
  private readonly underway = new Set<Underway>();

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
    const active = this.otherActive();
    const details = active ? `${STANDING_BY}: ${active.name} at ${active.address} is active` : `${STANDING_BY}: no leader is active yet`;
    return this.unavailable(details, active);
  }

  /** The active leader, when the lease names one other than this. */
  private otherActive(): LeaseHolder | undefined {
    const active = this.active();
    return active?.name === this.name ? undefined : active;
  }

  /** UNAVAILABLE, with the active leader's address for the CLI to ask next (ACTIVE_LEADER_METADATA). */
  private unavailable(details: string, active = this.otherActive()): grpc.ServerErrorResponse {
    const metadata = new grpc.Metadata();
    if (active) metadata.set(ACTIVE_LEADER_METADATA, active.address);
    return Object.assign(new Error(details), { code: grpc.status.UNAVAILABLE, details, metadata });
  }

  /** Where a call goes (the active leader's client) and what it carries, or why it is not forwarded. */
  private route(received: grpc.Metadata): { client: grpc.Client; address: string; metadata: grpc.Metadata } | { refused: grpc.ServerErrorResponse } {
    const active = this.otherActive();
    if (!active || received.get(FORWARDED_BY).length > 0) return { refused: this.refusal() };
    let client = this.clients.get(active.address);
    if (!client) {
      client = new grpc.Client(active.address, leaderChannelCredentials(this.ca, active.address), grpcClientOptions());
      this.clients.set(active.address, client);
    }
    const metadata = received.clone();
    metadata.remove("user-agent");
    metadata.set(FORWARDED_BY, this.name);
    return { client, address: active.address, metadata };
  }

  /**
   * The lease names another leader: calls under way to any other end UNAVAILABLE, and their callers ask again. A leader
   * that lost its term by a partition or a pause would otherwise keep them until their deadline.
   */
  leaseChanged(): void {
    const active = this.active();
    for (const call of this.underway) if (call.address !== active?.address) call.abandon();
  }

  /**
   * Registers a call forwarded to `address`; `end(send)` ends it once (answered, abandoned, or cancelled by its caller)
   * and runs `send`, what the caller gets.
   */
  private track(
    address: string,
    forwarded: { cancel(): void },
    caller: { on(event: "cancelled", listener: () => void): unknown },
    answerUnavailable: (error: grpc.ServerErrorResponse) => void,
  ) {
    let over = false;
    const end = (send: () => void) => {
      if (over) return;
      over = true;
      this.underway.delete(underway);
      send();
    };
    const underway: Underway = {
      address,
      abandon: () =>
        end(() => {
          answerUnavailable(this.unavailable(`the active leader changed while ${address} had the call: ask again`));
          forwarded.cancel();
        }),
    };
    this.underway.add(underway);
    caller.on("cancelled", () => end(() => forwarded.cancel()));
    return end;
  }

  private forwarder(method: { path: string; requestStream: boolean; responseStream: boolean }): grpc.UntypedHandleCall {
    const { path } = method;
    if (!method.responseStream) {
      if (method.requestStream) throw new Error(`${path}: a client-streaming method is not forwarded`);
      return (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const route = this.route(call.metadata);
        if ("refused" in route) return callback(route.refused);
        const options = { deadline: call.getDeadline() };
        const forwarded = route.client.makeUnaryRequest(path, asIs, asIs, call.request, route.metadata, options, (error, answer) =>
          end(() => callback(error, answer)),
        );
        const end = this.track(route.address, forwarded, call, callback);
        forwarded.on("metadata", (metadata: grpc.Metadata) => call.sendMetadata(metadata));
      };
    }
    if (!method.requestStream) {
      return (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const route = this.route(call.metadata);
        if ("refused" in route) return call.emit("error", route.refused);
        const forwarded = route.client.makeServerStreamRequest(path, asIs, asIs, call.request, route.metadata, { deadline: call.getDeadline() });
        relayAnswers(
          forwarded,
          this.track(route.address, forwarded, call, (error) => call.emit("error", error)),
          call,
        );
      };
    }
    return (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      const route = this.route(call.metadata);
      if ("refused" in route) return call.emit("error", route.refused);
      const forwarded = route.client.makeBidiStreamRequest(path, asIs, asIs, route.metadata, { deadline: call.getDeadline() });
      pump(call, forwarded);
      call.on("end", () => forwarded.end());
      relayAnswers(
        forwarded,
        this.track(route.address, forwarded, call, (error) => call.emit("error", error)),
        call,
      );
    };
  }
}
