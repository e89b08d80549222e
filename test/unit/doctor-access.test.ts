import { describe, expect, it } from 'vitest';
import { accessFinding } from '../../src/cli-doctor.js';
import { loadConfig } from '../../src/config/config.js';

const finding = (env: Record<string, string>) => accessFinding(loadConfig({ DATABASE_PATH: ':memory:', ...env }));

describe('doctor: http access', () => {
  it('fails off-loopback when no host name is configured (every remote request would be 421) and says what to set', () => {
    const f = finding({ HOST: '0.0.0.0', API_TOKEN: 'a', WEBHOOK_TOKEN: 'b' });
    expect(f.ok).toBe(false);
    expect(f.fix).toMatch(/PUBLIC_URL or ALLOWED_HOSTS/);
  });

  it('passes with PUBLIC_URL or ALLOWED_HOSTS, naming the hosts and the token rule', () => {
    const f = finding({
      HOST: '0.0.0.0',
      API_TOKEN: 'a',
      WEBHOOK_TOKEN: 'b',
      READ_TOKEN: 'c',
      PUBLIC_URL: 'https://ops.example.com',
      ALLOWED_HOSTS: 'infraai',
    });
    expect(f.ok).toBe(true);
    expect(f.detail).toContain('ops.example.com');
    expect(f.detail).toContain('infraai');
    expect(f.detail).toContain('READ_TOKEN');
  });

  it('passes on loopback without tokens and says so', () => {
    expect(finding({})).toMatchObject({ ok: true, detail: expect.stringContaining('no token needed') });
  });
});
