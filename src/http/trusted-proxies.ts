/**
 * Which peers may tell the client's address and protocol (`X-Forwarded-*`): the loopback proxy in front of the server.
 * Express asks at every request (`req.protocol` for the answer's base URL, `req.ip` for the audit's network address
 * when a proxy forwarded it), and its compiled check parses the peer's address (`ipaddr.js`) each time: ~1.5–4 µs per
 * request measured alone, for a handful of distinct peers. The answer for an address is remembered; the check compiled
 * from a subnet list ignores the hop index, so the address alone is the key.
 */
export const TRUSTED_PROXIES = 'loopback';

const MAX_REMEMBERED = 1024;

/** `trust` (Express's compiled `trust proxy fn` for a subnet list) remembered per address, bounded. */
export function rememberedTrust(trust: (address: string, hop: number) => boolean): (address: string, hop: number) => boolean {
  const known = new Map<string, boolean>();
  return (address, hop) => {
    let trusted = known.get(address);
    if (trusted === undefined) {
      trusted = trust(address, hop);
      // Bounded: a server facing many clients directly starts over rather than growing.
      if (known.size >= MAX_REMEMBERED) known.clear();
      known.set(address, trusted);
    }
    return trusted;
  };
}
