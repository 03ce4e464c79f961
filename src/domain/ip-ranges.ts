import { isIP } from 'node:net';

/**
 * Address ranges a connection made for a tenant must not reach (SSRF; SPEC §11): a webhook URL, a web push
 * endpoint or a provider endpoint given through the API would otherwise let an app make Herald call its
 * own host, the cloud metadata service (169.254.169.254) or the private network it runs in. `null` means a
 * public address. The outbound guard (src/outbound/guard.ts) applies it to every address a name resolves to.
 */
export type AddressClass = 'loopback' | 'private' | 'link-local' | 'cgnat' | 'unspecified' | 'multicast' | 'reserved';

const V4: [number, number, AddressClass][] = [
  [0x00000000, 8, 'unspecified'], // 0.0.0.0/8 "this network"; connecting to 0.0.0.0 reaches the local host
  [0x0a000000, 8, 'private'], // 10/8
  [0x64400000, 10, 'cgnat'], // 100.64/10
  [0x7f000000, 8, 'loopback'], // 127/8
  [0xa9fe0000, 16, 'link-local'], // 169.254/16, cloud metadata endpoints live here
  [0xac100000, 12, 'private'], // 172.16/12
  [0xc0000000, 24, 'reserved'], // 192.0.0/24 IETF protocol assignments
  [0xc0a80000, 16, 'private'], // 192.168/16
  [0xc6120000, 15, 'reserved'], // 198.18/15 benchmarking
  [0xe0000000, 4, 'multicast'], // 224/4
  [0xf0000000, 4, 'reserved'], // 240/4 and the broadcast address
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function classifyV4(n: number): AddressClass | null {
  for (const [base, bits, cls] of V4) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === base) return cls;
  }
  return null;
}

/** The 16 bytes of an IPv6 address (zone id dropped, an embedded dotted quad allowed). */
function v6Bytes(ip: string): number[] {
  const addr = ip.split('%')[0];
  const [head, tail = ''] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const groups = (s: string | undefined): number[] => {
    if (!s) return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const n = v4ToInt(g);
        out.push(n >>> 16, n & 0xffff);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = addr.includes('::') ? groups(tail) : [];
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

const v4From = (b: number[], at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

function classifyV6(b: number[]): AddressClass | null {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 16)) return 'unspecified';
  if (zeros(0, 15) && b[15] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address inside them.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(v4From(b, 12));
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return classifyV4(v4From(b, 12));
  // 6to4 (2002:aabb:ccdd::/48) tunnels to the IPv4 address in bits 16–48.
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(v4From(b, 2));
  if (zeros(0, 12)) return 'reserved'; // ::/96, the deprecated IPv4-compatible form
  if ((b[0] & 0xfe) === 0xfc) return 'private'; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return 'private'; // fec0::/10 site-local (deprecated)
  if (b[0] === 0xff) return 'multicast'; // ff00::/8
  return null;
}

/** The class of a literal IP address; null when it is public. Throws on something that is not an address. */
export function classifyAddress(ip: string): AddressClass | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const kind = isIP(bare.split('%')[0]);
  if (kind === 4) return classifyV4(v4ToInt(bare));
  if (kind === 6) return classifyV6(v6Bytes(bare));
  throw new Error(`not an IP address: ${ip}`);
}
