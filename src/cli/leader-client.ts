import * as grpc from "@grpc/grpc-js";
import {
  CubeClient,
  type ApplyResponse,
  type ExecInput,
  type ExecOutput,
  type GetResponse,
  type ListNodesResponse,
  type ListResponse,
  type LogChunk,
  type LogsRequest,
} from "../gen/cube.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import type { CubeConfig } from "./config.js";

const CALL_TIMEOUT_MS = 10_000;

type UnaryMethod<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => grpc.ClientUnaryCall;

/** The CLI's connection to the leader (it never talks to any other server), with promise-returning calls. */
export class LeaderClient {
  private readonly client: CubeClient;

  constructor(config: CubeConfig) {
    this.client = new CubeClient(config.leaderUrl, grpc.credentials.createInsecure(), grpcClientOptions(config.password));
  }

  listNodes(): Promise<ListNodesResponse> {
    return this.unary(this.client.listNodes, {});
  }

  apply(manifestJson: string): Promise<ApplyResponse> {
    return this.unary(this.client.apply, { manifestJson });
  }

  list(type: string): Promise<ListResponse> {
    return this.unary(this.client.list, { type });
  }

  get(type: string, name: string): Promise<GetResponse> {
    return this.unary(this.client.get, { type, name });
  }

  async delete(type: string, name: string): Promise<void> {
    await this.unary(this.client.delete, { type, name });
  }

  /** A pod's log lines, as a stream (no deadline: `--follow` may last). */
  logs(request: LogsRequest): grpc.ClientReadableStream<LogChunk> {
    return this.client.logs(request);
  }

  exec(): grpc.ClientDuplexStream<ExecInput, ExecOutput> {
    return this.client.exec();
  }

  close(): void {
    this.client.close();
  }

  private unary<Request, Response>(method: UnaryMethod<Request, Response>, request: Request): Promise<Response> {
    return new Promise((resolve, reject) => {
      method.call(this.client, request, new grpc.Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }
}
