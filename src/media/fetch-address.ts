// Which IP addresses a user-supplied link may reach. Anything that is not plainly public unicast is
// refused: private, loopback, link-local (cloud metadata lives there), unique-local, multicast,
// unspecified, shared/CGNAT, documentation and other reserved ranges, in IPv4 and IPv6, including IPv4
// addresses smuggled inside IPv6 (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::, 6to4).
import { isIP } from 'node:net';

export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'unique-local'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'invalid';

/** [first address as uint32, prefix length, class] */
const V4_RULES: Array<[number, number, AddressClass]> = [
  [v4('0.0.0.0'), 8, 'unspecified'], // "this network"; 0.0.0.0 itself reaches the local host
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'private'], // shared address space (carrier-grade NAT)
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'], // IETF protocol assignments
  [v4('192.0.2.0'), 24, 'reserved'], // documentation
  [v4('192.88.99.0'), 24, 'reserved'], // deprecated 6to4 relay anycast
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'], // benchmarking
  [v4('198.51.100.0'), 24, 'reserved'],
  [v4('203.0.113.0'), 24, 'reserved'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'], // future use, and 255.255.255.255 broadcast
];

function v4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return NaN;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return NaN;
    n = n * 256 + Number(p);
  }
  return n;
}

function classifyV4(n: number): AddressClass {
  for (const [base, bits, cls] of V4_RULES) {
    const size = 2 ** (32 - bits);
    if (n >= base && n < base + size) return cls;
  }
  return 'public';
}

/** Eight 16-bit groups of an IPv6 address (zone id dropped), or undefined when malformed. */
function v6Groups(s: string): number[] | undefined {
  let text = s.replace(/%.*$/, '').toLowerCase();
  // A dotted IPv4 tail stands for the last two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const n = v4(tail[1]!);
    if (Number.isNaN(n)) return undefined;
    text = `${text.slice(0, -tail[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return groups.some((g) => Number.isNaN(g)) ? undefined : groups;
}

function classifyV6(g: number[]): AddressClass {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const embedded = (hi: number, lo: number) => classifyV4(hi * 65536 + lo);
  const zeroUpTo5 = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroUpTo5 && g5 === 0 && g6 === 0) return g7 === 0 ? 'unspecified' : g7 === 1 ? 'loopback' : 'reserved';
  if (zeroUpTo5 && g5 === 0xffff) return embedded(g6, g7); // IPv4-mapped
  if (zeroUpTo5 && g5 === 0) return embedded(g6, g7); // IPv4-compatible (deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(g6, g7); // NAT64
  if (g0 === 0x2002) return embedded(g1, g2); // 6to4 carries the IPv4 address in its prefix
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x2001 && g1 < 0x0200) return 'reserved'; // IETF protocol assignments, Teredo (hides an IPv4 peer)
  // Everything public lives in 2000::/3; the rest (100::/64 discard, 64:ff9b:1::/48, ...) is not for us.
  return (g0 & 0xe000) === 0x2000 ? 'public' : 'reserved';
}

/** Classifies an IPv4 or IPv6 address literal (brackets and zone ids accepted). */
export function classifyAddress(address: string): AddressClass {
  const a = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(a.replace(/%.*$/, ''));
  if (family === 4) return classifyV4(v4(a));
  if (family === 6) {
    const g = v6Groups(a);
    return g ? classifyV6(g) : 'invalid';
  }
  return 'invalid';
}

export const isPublicAddress = (address: string): boolean => classifyAddress(address) === 'public';
