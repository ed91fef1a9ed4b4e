import { loadConfig } from '../../src/config';
import { loadNotifyConfig } from '../../src/notify/notify-config';

describe('configuration', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.fhirBasePath).toBe('/fhir');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.maxBodySize).toBe(30 * 1024 * 1024);
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.auditFlushConcurrency).toBe(1);
  });

  it('takes 1 to 8 read-audit flushes in flight, nothing else', () => {
    expect(loadConfig({ AUDIT_FLUSH_CONCURRENCY: '2' }).auditFlushConcurrency).toBe(2);
    expect(() => loadConfig({ AUDIT_FLUSH_CONCURRENCY: '0' })).toThrow(/AUDIT_FLUSH_CONCURRENCY/);
    expect(() => loadConfig({ AUDIT_FLUSH_CONCURRENCY: '9' })).toThrow(/AUDIT_FLUSH_CONCURRENCY/);
  });

  it('takes CDA_MARKUP_LIMIT as an integer, 250000 by default; anything else stops the start naming it', () => {
    expect(loadConfig({}).cdaMarkupLimit).toBe(250_000);
    expect(loadConfig({ CDA_MARKUP_LIMIT: '1000000' }).cdaMarkupLimit).toBe(1_000_000);
    for (const bad of ['lots', '2.5', '-1', '999']) expect(() => loadConfig({ CDA_MARKUP_LIMIT: bad })).toThrow(/CDA_MARKUP_LIMIT: expected an integer from 1000 to 100000000/);
  });

  it('parses sizes and paths', () => {
    const config = loadConfig({ MAX_BODY_SIZE: '512kb', FHIR_BASE_PATH: '/api/fhir/', PORT: '0' });
    expect(config.maxBodySize).toBe(512 * 1024);
    expect(config.fhirBasePath).toBe('/api/fhir');
    expect(config.port).toBe(0);
  });

  it('names every invalid key in one error, without echoing values', () => {
    expect(() => loadConfig({ PORT: 'eighty', MAX_BODY_SIZE: 'huge', LOG_LEVEL: 'loud' })).toThrow(/PORT[\s\S]*LOG_LEVEL[\s\S]*MAX_BODY_SIZE/);
    expect(() => loadNotifyConfig({ SMTP_URL: 'not a url with secret', NOTIFY_MAX_ATTEMPTS: '0' })).toThrow(/SMTP_URL[\s\S]*NOTIFY_MAX_ATTEMPTS/);
    try {
      loadNotifyConfig({ SMTP_URL: 'not a url with secret' });
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
  });
});
