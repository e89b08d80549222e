import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One scripted answer of the fake generateContent endpoint. */
export type GeminiScript =
  | { kind: 'json'; value: unknown; finishReason?: string }
  | { kind: 'text'; text: string; finishReason?: string }
  | { kind: 'truncated'; value: unknown }
  | { kind: 'error'; status: number; retryDelay?: string; message?: string }
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    contents?: Array<{ role?: string; parts?: Array<{ text?: string }> }>;
    systemInstruction?: { parts?: Array<{ text?: string }> };
    generationConfig?: Record<string, unknown>;
  };
  /** The user prompt text (all parts joined). */
  prompt: string;
  /** The whole raw body, for "nothing secret was sent" assertions. */
  raw: string;
}

const STATUS_NAME: Record<number, string> = {
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
};

/**
 * A local server speaking Gemini's REST generateContent protocol (v1beta), so tests drive the
 * real @google/genai client. Answers come from a script queue, then from `fallback`.
 */
export class FakeGeminiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly scripts: GeminiScript[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  /** Used when the queue is empty; may inspect the request (e.g. echo the prompt's target). */
  fallback: (req: RecordedRequest) => GeminiScript = () => ({ kind: 'error', status: 500, message: 'no script' });

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(): Promise<FakeGeminiServer> {
    const fake = new FakeGeminiServer();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Queues answers for the next requests, in order. */
  script(...answers: GeminiScript[]): this {
    this.scripts.push(...answers);
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method !== 'POST' || !/^\/v1beta\/models\/[^/:]+:generateContent$/.test(path)) {
      return send(res, 404, { error: { code: 404, message: `no route ${req.method} ${path}`, status: 'NOT_FOUND' } });
    }
    let body: RecordedRequest['body'];
    try {
      body = JSON.parse(raw) as RecordedRequest['body'];
    } catch {
      return send(res, 400, { error: { code: 400, message: 'invalid JSON', status: 'INVALID_ARGUMENT' } });
    }
    const prompt = (body.contents ?? [])
      .flatMap((c) => c.parts ?? [])
      .map((p) => p.text ?? '')
      .join('\n');
    const recorded: RecordedRequest = { method: req.method, path, headers: req.headers, body, prompt, raw };
    this.requests.push(recorded);
    this.answer(this.scripts.shift() ?? this.fallback(recorded), res);
  }

  private answer(s: GeminiScript, res: ServerResponse): void {
    switch (s.kind) {
      case 'hang':
        return; // never answers; the client's timeout must fire
      case 'error':
        return send(res, s.status, {
          error: {
            code: s.status,
            message: s.message ?? `fake ${s.status}`,
            status: STATUS_NAME[s.status] ?? 'UNKNOWN',
            ...(s.retryDelay
              ? { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: s.retryDelay }] }
              : {}),
          },
        });
      case 'truncated': {
        const full = JSON.stringify(s.value);
        return send(res, 200, candidate(full.slice(0, Math.floor(full.length / 2)), 'MAX_TOKENS'));
      }
      case 'json':
        return send(res, 200, candidate(JSON.stringify(s.value), s.finishReason ?? 'STOP'));
      case 'text':
        return send(res, 200, candidate(s.text, s.finishReason ?? 'STOP'));
    }
  }
}

function candidate(text: string, finishReason: string) {
  return {
    candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason, index: 0 }],
    usageMetadata: { promptTokenCount: 321, candidatesTokenCount: 45, totalTokenCount: 366 },
    modelVersion: 'gemini-2.5-flash-fake',
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}
