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
