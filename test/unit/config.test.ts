import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { DEFAULT_RESOURCE_LABELS } from '../../src/alerts/normalise.js';
import { assertSafeBinding } from '../../src/main.js';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({}, '/srv');
    expect(c.env.PORT).toBe(8080);
    expect(c.env.HOST).toBe('127.0.0.1');
    expect(c.databasePath).toBe('/srv/data/infraai.sqlite');
    expect(c.runsDir).toBe('/srv/terraform-runs');
    expect(c.env.TERRAFORM_BIN).toBe('terraform');
    expect(c.env.RESOURCE_LABELS).toEqual([...DEFAULT_RESOURCE_LABELS]);
    expect(c.env.APPROVAL_TTL_SECONDS).toBe(900);
    expect(c.env.FIX_MAX_ATTEMPTS).toBe(3);
  });

  it('reports every invalid variable at once, by name', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', TELEGRAM_ALLOWED_USER_IDS: '12,bob' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('PORT');
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('TELEGRAM_ALLOWED_USER_IDS');
  });

  it('treats empty secrets as unset', () => {
    const c = loadConfig({ API_TOKEN: '', WEBHOOK_TOKEN: '  ' });
    expect(c.env.API_TOKEN).toBeUndefined();
    expect(c.env.WEBHOOK_TOKEN).toBeUndefined();
  });

  it('refuses a public HOST without API_TOKEN and says why', () => {
    expect(() => assertSafeBinding(loadConfig({ HOST: '0.0.0.0' }))).toThrow(/API_TOKEN/);
    // An open webhook off-loopback is refused too (anyone could open incidents → auto-approved changes).
    expect(() => assertSafeBinding(loadConfig({ HOST: '0.0.0.0', API_TOKEN: 'x' }))).toThrow(
      /WEBHOOK_TOKEN is not set/,
    );
    expect(() => assertSafeBinding(loadConfig({ HOST: '0.0.0.0', API_TOKEN: 'x', WEBHOOK_TOKEN: 'y' }))).not.toThrow();
    expect(() => assertSafeBinding(loadConfig({ HOST: '127.0.0.1' }))).not.toThrow();
  });
});

describe('configuration: Prometheus as verification signal', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env, '/srv');
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('is off by default; the hold defaults to 60 s', () => {
    const c = loadConfig({}, '/srv');
    expect(c.env.PROMETHEUS_URL).toBeUndefined();
    expect(c.env.PROMETHEUS_HOLD_SECONDS).toBe(60);
    expect(loadConfig({ PROMETHEUS_URL: '' }, '/srv').env.PROMETHEUS_URL).toBeUndefined();
  });

  it('accepts an http(s) base URL with a route prefix', () => {
    const c = loadConfig({ PROMETHEUS_URL: 'http://127.0.0.1:9090/prometheus', PROMETHEUS_HOLD_SECONDS: '2' }, '/srv');
    expect(c.env.PROMETHEUS_URL).toBe('http://127.0.0.1:9090/prometheus');
    expect(c.env.PROMETHEUS_HOLD_SECONDS).toBe(2);
  });

  it('refuses a non-http URL, credentials or a query in it, and a hold as long as the window, all at once by name', () => {
    expect(problems({ PROMETHEUS_URL: 'ftp://127.0.0.1:9090' })).toContain('PROMETHEUS_URL: must be an http(s) URL');
    const creds = problems({ PROMETHEUS_URL: 'http://admin:hunter2secret@127.0.0.1:9090/?x=1' });
    expect(creds).toContain('PROMETHEUS_URL: must be scheme://host[:port][/prefix] without credentials');
    expect(creds).not.toContain('hunter2secret');
    const hold = problems({
      PROMETHEUS_URL: 'http://127.0.0.1:9090',
      PROMETHEUS_HOLD_SECONDS: '120',
      VERIFY_WINDOW_SECONDS: '120',
    });
    expect(hold).toContain('PROMETHEUS_HOLD_SECONDS: must be shorter than VERIFY_WINDOW_SECONDS');
    expect(problems({ PROMETHEUS_HOLD_SECONDS: '-1' })).toContain('PROMETHEUS_HOLD_SECONDS');
  });
});
