import * as grpc from "@grpc/grpc-js";
import { AgentClient } from "../gen/agent.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";

/** One client per node's Agent service, made on first use: the leader proxies logs and exec through them. */
export class AgentClients {
  private readonly clients = new Map<string, AgentClient>();

  constructor(private readonly token: string) {}

  for(address: string): AgentClient {
    let client = this.clients.get(address);
    if (!client) {
      client = new AgentClient(address, grpc.credentials.createInsecure(), grpcClientOptions(this.token));
      this.clients.set(address, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
