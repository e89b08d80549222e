import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../../src/main.js';
import { startTestService, testConfig } from '../helpers/service.js';

/** Reads the stream until `until` matches the text received so far. */
async function readUntil(body: ReadableStream<Uint8Array>, until: RegExp): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!until.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

describe('GET /ops/events (server-sent events on a real socket)', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('streams domain events with id, event and JSON data, and counts the client', async () => {
    service = await startTestService(testConfig());
    const address = await service.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/ops/events`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = res.body;
    if (!body) throw new Error('no body');
    expect(await readUntil(body, /: connected\n\n/)).toMatch(/^retry: \d+\n/);

    service.events.publish({ type: 'alert.received', fingerprint: 'fp-1', status: 'firing', incidentId: 'inc-1' });
    service.events.publish({ type: 'action.status', actionId: 'act-1', status: 'awaiting_approval', runId: 'demo' });
    const text = await readUntil(body, /act-1[^\n]*\n\n/);
    const frames = text.split('\n\n').filter((f) => f.startsWith('id:'));
    expect(frames).toHaveLength(2);
    const [first, second] = frames.map((f) =>
      Object.fromEntries(f.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)])),
    );
    expect(first?.event).toBe('alert.received');
    expect(JSON.parse(first?.data ?? '{}')).toEqual({
      type: 'alert.received',
      fingerprint: 'fp-1',
      status: 'firing',
      incident_id: 'inc-1',
    });
    expect(JSON.parse(second?.data ?? '{}')).toEqual({
      type: 'action.status',
      action_id: 'act-1',
      status: 'awaiting_approval',
      run_id: 'demo',
    });
    expect(Number(second?.id)).toBe(Number(first?.id) + 1);
    expect(second?.event).toBe('action.status');

    const metrics = await (await fetch(`${address}/metrics`)).text();
    expect(metrics).toMatch(/^infraai_sse_clients 1$/m);
  });

  it('ends open streams on shutdown instead of blocking close()', async () => {
    service = await startTestService(testConfig());
    const address = await service.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/ops/events`);
    const body = res.body;
    if (!body) throw new Error('no body');
    await readUntil(body, /: connected\n\n/);
    await service.stop();
    service = undefined;
    // The server ended the stream: the reader sees the end rather than hanging.
    const reader = body.getReader();
    let done = false;
    while (!done) ({ done } = await reader.read());
    expect(done).toBe(true);
  });

  it('unsubscribes when the client goes away', async () => {
    service = await startTestService(testConfig());
    const address = await service.app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const res = await fetch(`${address}/ops/events`, { signal: controller.signal });
    const body = res.body;
    if (!body) throw new Error('no body');
    await readUntil(body, /: connected\n\n/);
    controller.abort();
    let clients = '';
    for (let i = 0; i < 50 && !/^infraai_sse_clients 0$/m.test(clients); i++) {
      clients = await (await fetch(`${address}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(clients).toMatch(/^infraai_sse_clients 0$/m);
  });
});
