import { loadSmartConfig } from '../../../src/smart/smart-config';

test('the sign-in session lasts 30 minutes at most and 15 unused, unless configured', () => {
  expect(loadSmartConfig({})).toMatchObject({ sessionTtl: 1800, sessionIdle: 900 });
  expect(loadSmartConfig({ SMART_SESSION_TTL: '600', SMART_SESSION_IDLE: '300' })).toMatchObject({ sessionTtl: 600, sessionIdle: 300 });
});

test('a bad sign-in session setting stops the server naming its key', () => {
  expect(() => loadSmartConfig({ SMART_SESSION_TTL: '0' })).toThrow(/SMART_SESSION_TTL/);
  expect(() => loadSmartConfig({ SMART_SESSION_IDLE: '1.5' })).toThrow(/SMART_SESSION_IDLE/);
  expect(() => loadSmartConfig({ SMART_SESSION_TTL: String(13 * 3600) })).toThrow(/SMART_SESSION_TTL/);
});
