import { checkServerIdentity as checkHostName, type PeerCertificate } from "node:tls";
import { hasIdentity, nodeNameIn, publicKeyDigest, type Identity } from "./certificate-facts.js";
import { A_NODE_NOT_THE_LEADER } from "../unavailable-reason.js";

function describeIdentity(identity: Identity): string {
  return identity.role === "leader" ? "the cluster's leader" : `node ${identity.name}`;
}

/**
 * The server name every Cube client sends (SNI). Servers are dialed by IP address as often as not, and TLS has no
 * server name for those (Node warns); what a client checks is `serverIdentityCheck`, with the address it dialed.
 */
export const SERVER_NAME = "cube";

/**
 * Checks that the server is who we meant to reach (its chain is checked against the pinned CA before this): a
 * certificate of the cluster CA that speaks for `expected` (a node's certificate cannot pass for the leader's), and,
 * with `dialedHost`, one that covers the address dialed, as any TLS client would check.
 */
export function serverIdentityCheck(expected: Identity, dialedHost?: string, keyBound?: (keyDigest: string) => boolean) {
  return (_serverName: string, certificate: PeerCertificate): Error | undefined => {
    if (!hasIdentity(certificate.subjectaltname, expected)) {
      if (expected.role === "leader" && nodeNameIn(certificate.subjectaltname) !== undefined) return new Error(A_NODE_NOT_THE_LEADER);
      return new Error(`the server's certificate is from the cluster CA but is not ${describeIdentity(expected)}'s`);
    }
    // A leader's certificate (only a holder of the CA key makes one) speaks for its node whatever key it carries: a
    // leader serves its node with it, active or standing by.
    const leaderServed = expected.role === "node" && hasIdentity(certificate.subjectaltname, { role: "leader" });
    if (keyBound && !leaderServed && !keyBound(publicKeyDigest(certificate.raw))) {
      return new Error(`the server's certificate is ${describeIdentity(expected)}'s, but not for the key its name is bound to (a removed node's key?)`);
    }
    if (dialedHost === undefined) return undefined;
    const error = checkHostName(dialedHost, certificate);
    return error && new Error(`the leader's certificate does not cover the address ${dialedHost}: start the leader with --tls-san ${dialedHost}`);
  };
}
