import * as grpc from "@grpc/grpc-js";
import { CubeClient, type GetResponse, type ListNodesResponse, type ListResponse, type TopResponse } from "../../gen/cube.js";
import { grpcClientOptions } from "../../shared/grpc-client-options.js";
import { leaderChannelCredentials } from "../../shared/tls/tls-credentials.js";

const CALL_TIMEOUT_MS = 10_000;

/**
 * The web view's client of its own leader's API, over loopback with the admin password, as the CLI's is: it sees what
 * the CLI sees (and follows the same Watch, Events and Logs streams), and every call is authorized and measured alike.
 */
export class LeaderApi {
  readonly client: CubeClient;

  constructor(address: string, ca: string, password: string) {
    this.client = new CubeClient(address, leaderChannelCredentials(ca, address), grpcClientOptions(password));
  }

  private unary<Request, Response>(
    method: (
      request: Request,
      metadata: grpc.Metadata,
      options: Partial<grpc.CallOptions>,
      callback: (error: grpc.ServiceError | null, response: Response) => void,
    ) => unknown,
    request: Request,
  ): Promise<Response> {
    return new Promise((resolve, reject) =>
      method.call(this.client, request, new grpc.Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  }

  listNodes(): Promise<ListNodesResponse> {
    return this.unary(this.client.listNodes, {});
  }

  topNodes(): Promise<TopResponse> {
    return this.unary(this.client.top, { type: "node", selector: "" });
  }

  list(type: string): Promise<ListResponse> {
    return this.unary(this.client.list, { type, selector: "" });
  }

  get(type: string, name: string): Promise<GetResponse> {
    return this.unary(this.client.get, { type, name });
  }

  close(): void {
    this.client.close();
  }
}

/** A call refused because the resource does not exist. */
export const isNotFound = (error: unknown) => (error as grpc.ServiceError).code === grpc.status.NOT_FOUND;
