import * as grpc from "@grpc/grpc-js";
import { CubeClient, type ListNodesResponse } from "../gen/cube.js";
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
