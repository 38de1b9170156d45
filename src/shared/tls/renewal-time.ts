/**
 * When to renew a certificate: at a random point between 50 % and 80 % of its lifetime, as Swarm does, so that the
 * nodes of a cluster certified together do not all renew at once, and a failed renewal has time to be retried.
 */
export function renewalTime(notBefore: Date, notAfter: Date, random: () => number = Math.random): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + lifetime * (0.5 + 0.3 * random()));
}
