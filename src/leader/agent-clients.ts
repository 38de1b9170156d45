import { AgentClient } from "../gen/agent.js";
import { grpcClientOptions } from "../shared/grpc-client-options.js";
import { mutualChannelCredentials, type ClientIdentity } from "../shared/tls/tls-credentials.js";

/**
 * One client per node's Agent service, made on first use: the leader proxies logs and exec through them. It presents
 * the leader's certificate, and accepts only a server whose certificate is that node's and carries the key its name
 * is bound to (a node cannot stand in for another, whatever address it took, nor a removed node's key for it).
 */
export class AgentClients {
  private readonly clients = new Map<string, AgentClient>();

  constructor(
    private readonly identity: ClientIdentity,
    private readonly keyBound: (name: string, keyDigest: string) => boolean,
  ) {}

  for(node: { name: string; address: string }): AgentClient {
    const key = `${node.name}@${node.address}`;
    let client = this.clients.get(key);
    if (!client) {
      const credentials = mutualChannelCredentials(this.identity, { role: "node", name: node.name }, node.address, (digest) =>
        this.keyBound(node.name, digest),
      );
      client = new AgentClient(node.address, credentials, grpcClientOptions());
      this.clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
