import { expect } from "chai";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

// What the page's own scripts see (this file is compiled for Node, without the DOM's types).
declare const window: { innerWidth: number; notReloaded?: boolean };
declare const document: { documentElement: { scrollWidth: number } };
import { LocalCluster } from "../helpers/local-cluster.js";
import { projectRoot } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
/** Where the screenshots of each page are kept (a test artefact, not committed). */
const SHOTS = join(projectRoot, "artifacts", "web-view");

/** The web view in a real headless browser (Debian's Chromium, driven by playwright-core), against a real leader. */
/**
 * Opens `target`, again once if Chromium saw the machine's network change meanwhile: Docker makes and removes
 * interfaces as the cluster's containers come and go, and Chromium then fails the navigation (ERR_NETWORK_CHANGED), or
 * turns it to its own error page (interrupted by a navigation to chrome-error://); CI met each once on a first page.
 */
async function open(page: Page, target: string): Promise<void> {
  try {
    await page.goto(target);
  } catch (error) {
    if (!/ERR_NETWORK_CHANGED|interrupted by another navigation to "chrome-error:/.test((error as Error).message)) throw error;
    await page.goto(target);
  }
}

describe("the web view, in headless Chromium", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster(2);
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  const shot = (name: string, on: Page = page) => on.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const leader = await cluster.startLeader("web");
    await cluster.waitForNodes([{ name: "web", status: "Ready", type: "Leader" }]);
    url = await cluster.webUrl(leader);
    // Root needs no sandbox; the leader's certificate is signed by the cluster's own CA, which this browser does not know.
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(async () => {
    await browser?.close();
    await cluster.stop();
  });

  it("refuses a wrong password, and shows nothing before a login", async () => {
    await open(page, url);
    expect(new URL(page.url()).pathname).to.equal("/login");
    await page.fill("#password", "not-the-password");
    const [refused] = await Promise.all([page.waitForResponse((response) => response.url().endsWith("/login")), page.click("button[type=submit]")]);
    expect(refused.status()).to.equal(401);
    await page.getByRole("alert").getByText("wrong password").waitFor();
    await shot("login-refused");
    const live = await context.request.get(`${url}live/overview`);
    expect(live.status()).to.equal(401);
    const pods = await context.request.get(`${url}pods/anything`, { maxRedirects: 0 });
    expect(pods.status()).to.equal(303);
    expect(pods.headers().location).to.equal("/login");
  });

  it("logs in and shows the nodes with their usage bars", async () => {
    await page.fill("#password", cluster.adminPassword());
    await page.click("button[type=submit]");
    await page.locator("#node-web").waitFor();
    expect(await page.locator("#node-web").innerText()).to.match(/web\s+Ready\s+Leader/);
    expect(await page.locator("#node-web meter").count()).to.equal(2);
    await page.locator("#live-state.on").waitFor();
    await shot("overview-empty");
  });

  it("shows a pod applied with the CLI, and its changes, without a reload", async () => {
    await page.evaluate(() => (window.notReloaded = true));
    await cluster.apply("hello", {
      type: "pod",
      metadata: { name: "hello" },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: "main",
            image: IMAGE,
            command: ["sh", "-c", "echo first line; while true; do [ -f /tmp/say ] && cat /tmp/say && rm /tmp/say; sleep 0.2; done"],
          },
        ],
      },
    });
    await page.locator("#pod-hello").getByText("Running").waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => window.notReloaded)).to.equal(true);
    expect(await page.locator("#pod-hello").innerText()).to.match(/hello\s+Running\s+1\/1\s+0/);
    await shot("overview");
  });

  it("opens the pod's logs, and shows a line printed after they were opened", async () => {
    await page.click("#pod-hello a");
    await page.locator("#log").getByText("first line").waitFor();
    await page.locator("#events").getByText("Started").first().waitFor();
    await cluster.cubeOk("exec", "pod/hello", "--", "sh", "-c", "echo 'a <b>late</b> line' > /tmp/say");
    await page.locator("#log").getByText("a <b>late</b> line").waitFor();
    // Shown as text: what a container prints is never markup.
    expect(await page.locator("#log b").count()).to.equal(0);
    await shot("pod");
  });

  it("follows a deployment's rollout to its end", async () => {
    await cluster.apply("site", {
      type: "deployment",
      metadata: { name: "site" },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: "site" } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: IMAGE, command: ["sleep", "3600"] }] },
        },
      },
    });
    await open(page, `${url}deployments/site`);
    await page.locator("#summary").getByText("revision 1 Complete").waitFor({ timeout: 30_000 });
    expect(await page.locator("#pods tr").count()).to.equal(2);
    await shot("deployment");
  });

  it("is readable on a phone: nothing wider than the screen but the tables, which scroll", async () => {
    const phone = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.addCookies(await context.cookies());
    const small = await phone.newPage();
    await open(small, url);
    await small.locator("#pod-hello").waitFor();
    expect(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).to.equal(true);
    await shot("overview-phone", small);
    await phone.close();
  });
});
