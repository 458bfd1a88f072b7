import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { badRequest } from '../platform/errors';

/**
 * SSRF guard for partner webhook URLs: the service must not become a way to reach what only it
 * can reach (loopback, the private network, cloud metadata at 169.254.169.254). An endpoint is
 * refused when its host is or resolves to such an address, unless it was added with
 * `allowPrivate` (a receiver on the same network, the demo, tests). The check runs when the
 * endpoint is added and again on every connection (the socket's DNS lookup goes through
 * `guardedLookup`), so a name that later resolves elsewhere (DNS rebinding) is still refused.
 */
const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv6');

/** True for loopback, private, link-local, shared, multicast and reserved addresses (IPv4-mapped too). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface UrlPolicy {
  allowPrivate: boolean;
  /** Plain http:// is accepted only in development (and tests); everywhere else https:// is required. */
  requireHttps: boolean;
}

/** The URL as a partner endpoint, or 400 saying why not (scheme, credentials, private address). */
export async function checkEndpointUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest('the URL must be http(s)');
  if (policy.requireHttps && url.protocol !== 'https:') throw badRequest('the URL must use https://');
  if (url.username || url.password) throw badRequest('no credentials in the URL');
  if (raw.length > 2000) throw badRequest('URL too long');
  if (!policy.allowPrivate) {
    const addresses = await resolveAll(url.hostname);
    if (addresses.length === 0) throw badRequest('the host does not resolve');
    if (addresses.some(isPrivateAddress))
      throw badRequest('the host is a private or loopback address (add it with allowPrivate if it is meant to be)');
  }
  return url;
}

function resolveAll(hostname: string): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return Promise.resolve([host]);
  return new Promise((resolve) =>
    dnsLookup(host, { all: true }, (err, addrs) => resolve(err ? [] : addrs.map((a) => a.address))),
  );
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http(s).request that refuses private addresses (unless allowed) at connect time. */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
      if (err) return callback(err, []);
      const list = addrs;
      if (!allowPrivate && list.some((a) => isPrivateAddress(a.address))) {
        const refused = Object.assign(new Error('webhook host resolves to a private address'), {
          code: 'EPRIVATEADDR',
        });
        return callback(refused, []);
      }
      const all = (options as { all?: boolean }).all;
      if (all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
