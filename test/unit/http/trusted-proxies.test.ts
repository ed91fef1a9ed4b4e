import express from 'express';
import request from 'supertest';
import { rememberedTrust, TRUSTED_PROXIES } from '../../../src/http/trusted-proxies';

/** Express's own compiled check for the server's trusted proxies (what `rememberedTrust` wraps). */
function compiled(): (address: string, hop: number) => boolean {
  const app = express();
  app.set('trust proxy', TRUSTED_PROXIES);
  return app.get('trust proxy fn') as (address: string, hop: number) => boolean;
}

describe('trusted proxies remembered per address', () => {
  it('answers as the compiled check for every address, asked once or many times, at any hop', () => {
    const trust = compiled();
    const remembered = rememberedTrust(trust);
    const addresses = ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '10.0.0.1', '203.0.113.7', '::ffff:203.0.113.7', '2001:db8::1', 'not an address', ''];
    for (let pass = 0; pass < 3; pass++) {
      for (const address of addresses) for (const hop of [0, 1, 2]) expect([address, hop, remembered(address, hop)]).toEqual([address, hop, trust(address, hop)]);
    }
    // What the rule says, not what the code returned: loopback peers only.
    expect(addresses.filter((a) => remembered(a, 0))).toEqual(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']);
  });

  it('stays bounded and right when more addresses than it keeps come by', () => {
    const trust = compiled();
    const remembered = rememberedTrust(trust);
    for (let i = 0; i < 3000; i++) {
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      expect(remembered(address, 0)).toBe(false);
    }
    expect(remembered('127.0.0.1', 0)).toBe(true);
  });

  it('lets the loopback proxy tell the protocol and the client address through an app that uses it', async () => {
    const app = express();
    app.set('trust proxy', TRUSTED_PROXIES);
    app.set('trust proxy', rememberedTrust(app.get('trust proxy fn') as (address: string, hop: number) => boolean));
    app.get('/', (req, res) => res.json({ protocol: req.protocol, ip: req.ip }));
    for (let i = 0; i < 2; i++) {
      const res = await request(app).get('/').set('X-Forwarded-Proto', 'https').set('X-Forwarded-For', '203.0.113.9');
      expect(res.body).toEqual({ protocol: 'https', ip: '203.0.113.9' });
    }
  });
});
