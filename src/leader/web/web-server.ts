import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../shared/logger.js";
import { isNotFound, type LeaderApi } from "./leader-api.js";
import { SCRIPT, STYLESHEET } from "./web-assets.js";
import { followDeployment, followOverview, followPod, LiveStream } from "./web-live.js";
import { deploymentPage, loginPage, overviewPage, podPage } from "./web-pages.js";
import type { WebSessions } from "./web-sessions.js";
import type { SafeHtml } from "./html.js";

const COOKIE = "cube_session";
/** The page may load its own script and stylesheet and open its own live stream; nothing else, from nowhere else. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
const MAX_FORM_BYTES = 4096;

export interface WebDependencies {
  api: LeaderApi;
  sessions: WebSessions;
  log: Logger;
  /** The key and certificate to serve with now (the leader's, renewed). */
  certificate: () => { key: string; certificate: string };
}

function cookieOf(request: IncomingMessage): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === COOKIE) return value.join("=");
  }
  return undefined;
}

function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > MAX_FORM_BYTES) request.destroy(new Error("form too large"));
    });
    request.on("end", () => resolve(new URLSearchParams(body)));
    request.on("error", reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  body: SafeHtml | string,
  type = "text/html; charset=utf-8",
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "cache-control": "no-store", ...headers }).end(String(body));
}

/**
 * The web view: HTTPS with the leader's certificate, behind the admin password. Pages are rendered here from the
 * leader's API; each page's live stream follows the API's Watch, Events and Logs streams and sends what changed.
 */
export function createWebServer(deps: WebDependencies): Server {
  const { api, sessions, log } = deps;
  let served = deps.certificate();
  const server = createServer({ key: served.key, cert: served.certificate, minVersion: "TLSv1.2" }, (request, response) => {
    route(request, response).catch((error: Error) => {
      log.error(`web view: ${request.method} ${request.url}: ${error.message}`);
      if (!response.headersSent) send(response, isNotFound(error) ? 404 : 502, isNotFound(error) ? "not found" : "the leader did not answer", "text/plain");
      else response.end();
    });
  });
  // The leader's certificate renews itself: new connections take the new one.
  const renewal = setInterval(() => {
    const now = deps.certificate();
    if (now.certificate === served.certificate) return;
    served = now;
    server.setSecureContext({ key: now.key, cert: now.certificate });
  }, 60_000);
  server.on("close", () => clearInterval(renewal));

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "https://cube");
    const path = url.pathname;
    if (path === "/app.css") return send(response, 200, STYLESHEET, "text/css; charset=utf-8", { "cache-control": "max-age=3600" });
    if (path === "/app.js") return send(response, 200, SCRIPT, "text/javascript; charset=utf-8", { "cache-control": "max-age=3600" });
    if (path === "/login" && request.method === "POST") {
      const outcome = sessions.login((await readForm(request)).get("password") ?? "", request.socket.remoteAddress ?? "");
      if ("refused" in outcome) {
        log.warn(`web view: login refused from ${request.socket.remoteAddress}: ${outcome.refused}`);
        return send(response, 401, loginPage(outcome.refused));
      }
      return send(response, 303, "", "text/plain", { location: "/", "set-cookie": `${COOKIE}=${outcome.token}; Path=/; HttpOnly; Secure; SameSite=Strict` });
    }
    if (path === "/login") return send(response, 200, loginPage());
    const session = cookieOf(request);
    if (path === "/logout" && request.method === "POST") {
      sessions.logout(session);
      return send(response, 303, "", "text/plain", { location: "/login", "set-cookie": `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0` });
    }
    if (!sessions.valid(session)) {
      if (path.startsWith("/live/")) return send(response, 401, "log in first", "text/plain");
      return send(response, 303, "", "text/plain", { location: "/login" });
    }
    if (request.method !== "GET") return send(response, 405, "", "text/plain", { allow: "GET" });
    const now = new Date();
    const named = (prefix: string) => (path.startsWith(prefix) ? decodeURIComponent(path.slice(prefix.length)) : undefined);
    if (path === "/") {
      const [{ nodes }, { nodes: usage }, { items }] = await Promise.all([api.listNodes(), api.topNodes(), api.list("")]);
      return send(response, 200, overviewPage({ nodes, usage, items }, now));
    }
    if (path === "/live/overview") return followOverview(api, new LiveStream(response));
    const livePod = named("/live/pods/");
    if (livePod !== undefined) return followPod(api, livePod, new LiveStream(response));
    const liveDeployment = named("/live/deployments/");
    if (liveDeployment !== undefined) return followDeployment(api, liveDeployment, new LiveStream(response));
    const pod = named("/pods/");
    if (pod !== undefined) {
      const found = await api.get("pod", pod);
      return send(response, 200, podPage(pod, found.pod!, found.events, now));
    }
    const deployment = named("/deployments/");
    if (deployment !== undefined) {
      const { items } = await api.list("");
      const summary = items.find((item) => item.type === "deployment" && item.name === deployment);
      if (!summary) return send(response, 404, "not found", "text/plain");
      return send(
        response,
        200,
        deploymentPage(
          summary,
          items.filter((item) => item.type === "pod" && item.owner === deployment),
          now,
        ),
      );
    }
    send(response, 404, "not found", "text/plain");
  }

  return server;
}
