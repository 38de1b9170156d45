/**
 * The certificate-issuing side (@peculiar/x509), loaded on first use: loading it takes 150–200 ms, which a restarted
 * server that already has its certificates, and every CLI command, need not pay.
 */
export function loadIssuing(): Promise<typeof import("./certificates.js")> {
  return import("./certificates.js");
}
