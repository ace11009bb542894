/**
 * IPv4 and IPv6 addresses and CIDR blocks, with no dependency. Addresses are 32- or 128-bit
 * BigInts. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as a dual-stack socket reports an
 * IPv4 client) is read as the IPv4 address it carries, and a CIDR inside `::ffff:0:0/96` as
 * the IPv4 block it covers, so `10.0.0.0/8` matches `::ffff:10.1.2.3` and the reverse. Other
 * IPv6 blocks never match IPv4 addresses: `::/0` means "every IPv6 client", not everyone.
 */

export interface IpAddress {
  readonly family: 4 | 6;
  readonly bits: bigint;
}

export interface Cidr extends IpAddress {
  /** Leading bits that must match: 0–32 (IPv4) or 0–128 (IPv6). */
  readonly prefix: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;
const MAPPED_PREFIX = 0xffffn << 32n;
const MAPPED_LENGTH = 96;

// No leading zeros: "010" is octal to some parsers and decimal to others.
const OCTET = /^(0|[1-9]\d{0,2})$/;
const GROUP = /^[0-9a-f]{1,4}$/;

const parseIpv4Bits = (text: string): bigint | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let bits = 0n;
  for (const part of parts) {
    if (!OCTET.test(part) || Number(part) > 255) return undefined;
    bits = (bits << 8n) | BigInt(part);
  }
  return bits;
};

const parseGroups = (text: string): bigint[] | undefined => {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (const [index, part] of parts.entries()) {
    // Only the last group may be a dotted IPv4 address (`64:ff9b::192.0.2.1`): two groups.
    if (index === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4Bits(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (GROUP.test(part)) {
      groups.push(BigInt(`0x${part}`));
    } else {
      return undefined;
    }
  }
  return groups;
};

const parseIpv6Bits = (text: string): bigint | undefined => {
  const halves = text.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  // A dotted IPv4 part may only end the address, so not end the head of a compressed one.
  if (halves.length === 2 && (halves[0] ?? '').includes('.')) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const groups = [...head, ...Array<bigint>(8 - count).fill(0n), ...tail];
  return groups.reduce((bits, group) => (bits << 16n) | group, 0n);
};

/** An IPv4 or IPv6 address in text form (no zone id, no port, no brackets); undefined otherwise. */
export const parseIp = (text: string): IpAddress | undefined => {
  if (!text.includes(':')) {
    const bits = parseIpv4Bits(text);
    return bits === undefined ? undefined : { family: 4, bits };
  }
  const bits = parseIpv6Bits(text);
  if (bits === undefined) return undefined;
  return bits >> 32n === 0xffffn ? { family: 4, bits: bits & 0xffffffffn } : { family: 6, bits };
};

const mask = (family: 4 | 6, prefix: number): bigint => {
  const width = BigInt(WIDTH[family]);
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
};

/**
 * A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single address (as /32 or /128);
 * undefined when malformed or when host bits are set (`10.0.0.1/8` is refused: it reads
 * like a typo, and a policy typo must not silently widen a rule).
 */
export const parseCidr = (text: string): Cidr | undefined => {
  const [addressText = '', prefixText, ...rest] = text.split('/');
  if (rest.length > 0) return undefined;
  const isV6 = addressText.includes(':');
  const bits = isV6 ? parseIpv6Bits(addressText) : parseIpv4Bits(addressText);
  if (bits === undefined) return undefined;
  const family = isV6 ? 6 : 4;
  if (prefixText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? WIDTH[family] : Number(prefixText);
  if (prefix > WIDTH[family] || (bits & ~mask(family, prefix)) !== 0n) return undefined;
  if (family === 6 && prefix >= MAPPED_LENGTH && bits >> 32n === 0xffffn) {
    return { family: 4, bits: bits ^ MAPPED_PREFIX, prefix: prefix - MAPPED_LENGTH };
  }
  return { family, bits, prefix };
};

export const isCidr = (text: string): boolean => parseCidr(text) !== undefined;

/** Whether the address lies in the block (same family after unmapping). */
export const cidrContains = (cidr: Cidr, address: IpAddress): boolean =>
  cidr.family === address.family && (address.bits & mask(cidr.family, cidr.prefix)) === cidr.bits;

/** Whether `ip` (text, `clientAddress`) lies in any of the blocks; false when it names none. */
export const ipInAnyCidr = (ip: string, cidrs: readonly string[]): boolean => {
  const address = clientAddress(ip);
  return (
    address !== undefined &&
    cidrs.some((text) => {
      const cidr = parseCidr(text);
      return cidr !== undefined && cidrContains(cidr, address);
    })
  );
};

/**
 * The client address an app's `context.ip` names, in the forms apps pass: surrounding
 * spaces, a port (`203.0.113.5:443`, `[2001:db8::1]:443`), brackets and an IPv6 zone
 * (`fe80::1%eth0`). Of a forwarded-for list (`client, proxy`) only the last (right-most)
 * entry counts: the address the app's own proxy saw. The entries before it are the client's
 * word, so a user who prepends an allow-listed "hop" neither triggers an exempt rule nor
 * dodges a deny rule. Leading zeros stay refused (`203.0.113.05` is ambiguous).
 */
const clientAddress = (text: string): IpAddress | undefined => {
  let candidate = (text.split(',').at(-1) ?? '').trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(candidate);
  if (bracketed?.[1]) candidate = bracketed[1];
  else if (/^[\d.]+:\d{1,5}$/.test(candidate)) candidate = candidate.replace(/:\d+$/, '');
  candidate = candidate.replace(/%[A-Za-z0-9._-]+$/, '');
  return parseIp(candidate);
};
