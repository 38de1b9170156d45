import { appendFileSync } from "node:fs";
import { createServer, connect, type Server } from "node:tls";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";

/**
 * A man in the middle: a TLS relay with a certificate of its own (from a CA of its own, claiming to be the leader),
 * which decrypts what each side sends, appends it to `capture` (so a test can look for secrets in it) and passes it
 * on to `target` over a TLS connection of its own.
 */
export async function startTlsRelay(listen: { host: string; port: number }, target: { host: string; port: number }, capture: string): Promise<Server> {
  const now = new Date();
  const ca = await createClusterCa(now);
  const { certificate, key } = await issueWithNewKey({ ca, identities: [{ role: "leader" }], hosts: [listen.host], now, lifetimeMs: 3_600_000 });
  const server = createServer({ cert: certificate, key, ALPNProtocols: ["h2"] }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, rejectUnauthorized: false, ALPNProtocols: ["h2"], servername: "cube" });
    client.on("data", (data: Buffer) => appendFileSync(capture, data));
    upstream.on("data", (data: Buffer) => appendFileSync(capture, data));
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(listen.port, listen.host, resolve));
  return server;
}
