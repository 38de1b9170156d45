// Runs startTlsRelay as a process of its own (on a test bed's host): tls-relay-main.ts LISTEN_HOST PORT TARGET_HOST PORT CAPTURE_FILE
import { startTlsRelay } from "./tls-relay.js";

const [listenHost, listenPort, targetHost, targetPort, capture] = process.argv.slice(2);
const server = await startTlsRelay({ host: listenHost, port: Number(listenPort) }, { host: targetHost, port: Number(targetPort) }, capture);
process.stdout.write(`relaying ${listenHost}:${listenPort} to ${targetHost}:${targetPort}\n`);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
