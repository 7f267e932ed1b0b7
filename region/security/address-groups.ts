// Addresses grouped as a flood would use them: one IPv4 address is one source, but one host
// (or one customer) may hold all of an IPv6 /64, and a network more. Password checks take
// turns by source (hash-gate.ts); refusals of user ids nobody has are recorded by network,
// so that a flood of random ids from a /24 is one DENIED record a minute, not one an id.
import { isIPv4, isIPv6 } from 'node:net';

/** The IPv4 address in an address, also where it is IPv4-mapped (`::ffff:192.0.2.1`). */
function ipv4Of(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const v4 = mapped ?? address;
  return isIPv4(v4) ? v4 : undefined;
}

/** The first `groups` groups of an IPv6 address, written out without leading zeros. */
function ipv6Prefix(address: string, groups: number): string {
  const [head = '', tail] = address.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const all = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return all
    .slice(0, groups)
    .map((g) => (g.replace(/^0+/, '') || '0').toLowerCase())
    .join(':');
}

/** Where a password check comes from, for its turn: an IPv4 address, or an IPv6 /64. */
export function sourceOf(address: string): string {
  const v4 = ipv4Of(address);
  if (v4 !== undefined) return v4;
  return isIPv6(address) ? `${ipv6Prefix(address, 4)}::/64` : address;
}

/** The network an address is in, for the audit trail: an IPv4 /24, an IPv6 /48. */
export function networkOf(address: string): string {
  const v4 = ipv4Of(address);
  if (v4 !== undefined) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  return isIPv6(address) ? `${ipv6Prefix(address, 3)}::/48` : address;
}
