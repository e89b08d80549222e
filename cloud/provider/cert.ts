/**
 * The plugin's TLS server certificate (go-plugin AutoMTLS): an EC P-256 self-signed certificate
 * with SAN DNS:localhost, minted once with openssl and cached on disk (LOCAL_CLOUD_CERT_DIR,
 * default `<tmpdir>/local-cloud-cert-<uid>`). Two processes starting at once both mint, each
 * writes temp + rename, and either file is valid.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServerCert {
  certPem: string;
  keyPem: string;
  /** Field 6 of the handshake: base64 of the DER certificate without padding. */
  handshake: string;
  cached: boolean;
}

export function certDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return process.env['LOCAL_CLOUD_CERT_DIR'] || path.join(os.tmpdir(), `local-cloud-cert-${uid}`);
}

function fromPems(certPem: string, keyPem: string, cached: boolean): ServerCert {
  const body = certPem
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '')
    .replace(/=+$/, '');
  return { certPem, keyPem, handshake: body, cached };
}

/** The cache dir must be ours and private: a key planted by someone else would let them read the plugin's traffic. */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (st.uid !== uid || (st.mode & 0o077) !== 0)
    throw new Error(
      `certificate cache ${dir} must be a directory owned by uid ${uid} with mode 0700 (set LOCAL_CLOUD_CERT_DIR)`,
    );
}

export function loadOrMintCert(): ServerCert {
  const dir = certDir();
  const file = path.join(dir, 'server.json');
  ensurePrivateDir(dir);
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { cert?: unknown; key?: unknown };
    if (typeof parsed.cert === 'string' && typeof parsed.key === 'string' && parsed.cert.includes('BEGIN CERTIFICATE'))
      return fromPems(parsed.cert, parsed.key, true);
  } catch {
    // not cached yet (or unreadable): mint below
  }
  const work = mkdtempSync(path.join(dir, 'mint-'));
  try {
    const keyFile = path.join(work, 'key.pem');
    const certFile = path.join(work, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '3650',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    const tmp = path.join(dir, `server.json.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify({ cert, key }), { mode: 0o600 });
    renameSync(tmp, file);
    return fromPems(cert, key, false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
