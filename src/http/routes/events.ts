import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { DomainEvent, EventBus } from '../../shared/events.js';
import type { RouteModule } from '../app.js';
import { responses } from '../wire/common.js';
import { eventToWire } from '../wire/event.js';

export interface EventsRouteOptions {
  /** Milliseconds between keep-alive comments (proxies drop idle streams). Default 15 000. */
  heartbeatMs?: number;
  /** Told how many streams are open whenever that changes. */
  onClientCount?: (n: number) => void;
  /** A stream whose unsent output exceeds this is ended; the browser reconnects and refetches. */
  maxBufferedBytes?: number;
}

/** One SSE frame (data: the event in wire form, snake_case). JSON never contains a raw newline, so `data:` fits on one line. */
export function sseFrame(id: number, event: DomainEvent): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(eventToWire(event))}\n\n`;
}

/**
 * GET /ops/events: domain events as server-sent events (the hijack fallback of PROTOCOLS.md §5:
 * @fastify/sse is not installed). Events only say "look again": the page refetches the affected
 * section, so no replay buffer is kept and a reconnecting client simply reloads its data.
 * All streams end in preClose so shutdown is never blocked by an open dashboard.
 */
export function eventsRoutes(bus: EventBus, options: EventsRouteOptions = {}): RouteModule {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 1_000_000;
  const streams = new Set<() => void>();
  let seq = 0;

  return (app) => {
    app.addHook('preClose', async () => {
      for (const end of [...streams]) end();
    });

    app.get(
      '/ops/events',
      {
        schema: {
          tags: ['live'],
          summary: 'Live domain events (text/event-stream)',
          description:
            'Server-sent events: `id:` is a per-process sequence number, `event:` the event type ' +
            '(alert.received, incident.opened, incident.resolved, decision.created, action.status, ' +
            'approval.recorded, registry.synced) and `data:` the event as JSON. A comment line is sent ' +
            `every ${heartbeatMs / 1000} s. Field names are snake_case (action_id, run_id, incident_id, decision_id). ` +
            'A read like the others: needs API_TOKEN or READ_TOKEN when API_TOKEN is set.',
          response: responses({
            200: z.string().describe('text/event-stream; each data: is one EventWire (snake_case)'),
          }),
        },
      },
      (req, reply) => {
        reply.hijack();
        const res: ServerResponse = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        // HEAD has no body, so no stream: an open HEAD response would stall the keep-alive connection.
        if (req.method === 'HEAD') return void res.end();
        // retry: how long the browser waits before reconnecting after the stream drops.
        res.write('retry: 3000\n: connected\n\n');

        const send = (chunk: string) => {
          if (res.writableEnded) return;
          if (res.writableLength > maxBuffered) return end();
          res.write(chunk);
        };
        const unsubscribe = bus.subscribe((event) => send(sseFrame(++seq, event)));
        const timer = setInterval(() => send(': ping\n\n'), heartbeatMs);
        timer.unref();

        let ended = false;
        function end(): void {
          if (ended) return;
          ended = true;
          clearInterval(timer);
          unsubscribe();
          streams.delete(end);
          options.onClientCount?.(streams.size);
          if (!res.writableEnded) res.end();
        }
        streams.add(end);
        options.onClientCount?.(streams.size);
        req.raw.on('close', end);
        res.on('close', end);
        res.on('error', end);
      },
    );
  };
}
