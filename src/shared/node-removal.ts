// The leader's words when it refuses a node an admin removed, which the node reads to know that it was removed: one
// module for both sides.

/** Why the leader refuses the certificate of a removed node. */
export function removedCertificate(name: string): string {
  return `this certificate is no longer node ${name}'s identity (the node was removed by an admin): a removed node joins again only with a new key`;
}

/** Why the leader refuses to certify a removed node's key again, under any name. */
export function revokedKey(owner: string): string {
  return `this key was node ${owner}'s, which an admin removed (cube node rm): a removed node joins again only with a new key`;
}

/** Whether a refusal says that this node was removed. */
export function saysRemoved(details: string): boolean {
  return details.includes("(the node was removed by an admin)") || details.includes("which an admin removed (cube node rm)");
}
