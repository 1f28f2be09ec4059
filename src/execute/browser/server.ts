/**
 * The page's only server: HTTP on 127.0.0.1 at a random port, every path under a random token.
 * It serves the page (index.html, page.js) and moves each call's tensors as raw bytes, both ways:
 *
 *   GET  /<token>/                 index.html
 *   GET  /<token>/page.js          the bundle (bundle.ts)
 *   GET  /<token>/files/<name>     a file the page loads itself (ONNX Runtime Web's module and wasm)
 *   GET  /<token>/call/<id>        the call's message (wire.ts), once
 *   POST /<token>/result/<id>      the page's tensors (wire.ts)
 *
 * WebGPU needs a secure context; http://127.0.0.1 is one.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname } from 'node:path';

const HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>attnfuzz</title></head>' +
  '<body><script src="page.js"></script></body></html>';

export class PageServer {
  private readonly calls = new Map<string, Uint8Array>();
  private readonly results = new Map<string, Uint8Array>();

  private constructor(
    private readonly server: Server,
    /** The page's URL: http://127.0.0.1:<port>/<token>/ */
    readonly url: string,
  ) {}

  /** `files`: name -> path of the files served under files/ (read on each request). */
  static async start(script: string, files: Readonly<Record<string, string>> = {}): Promise<PageServer> {
    const token = randomBytes(12).toString('hex');
    let self: PageServer | null = null;
    const server = createServer((req, res) => self!.handle(req, res, token, script, files));
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    const { port } = server.address() as { port: number };
    self = new PageServer(server, `http://127.0.0.1:${port}/${token}/`);
    return self;
  }

  /** Holds a call's message for the page to fetch. */
  put(id: string, message: Uint8Array): void {
    this.calls.set(id, message);
  }

  /** The page's answer to a call (once), or undefined if it posted none. */
  take(id: string): Uint8Array | undefined {
    const r = this.results.get(id);
    this.results.delete(id);
    this.calls.delete(id);
    return r;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  private handle(
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
    script: string,
    files: Readonly<Record<string, string>>,
  ): void {
    const send = ([status, type, body]: Reply) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '').split('?')[0]!;
    const rest = path.startsWith(`/${token}/`) ? path.slice(token.length + 2) : null;
    if (req.method === 'POST' && rest?.startsWith('result/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const all = Buffer.concat(chunks);
        // A fresh buffer: the wire reads typed-array views, which want aligned offsets.
        this.results.set(rest.slice(7), new Uint8Array(all.buffer.slice(all.byteOffset, all.byteOffset + all.length)));
        send([204, 'text/plain', '']);
      });
      return;
    }
    send(this.get(req.method === 'GET' ? rest : null, script, path, files));
  }

  private get(rest: string | null, script: string, path: string, files: Readonly<Record<string, string>>): Reply {
    if (path === '/favicon.ico') return [204, 'text/plain', ''];
    const file = rest?.startsWith('files/') ? files[rest.slice(6)] : undefined;
    if (file !== undefined) return [200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file)];
    if (rest === '') return [200, 'text/html', HTML];
    if (rest === 'page.js') return [200, 'text/javascript', script];
    const call = rest?.startsWith('call/') ? this.calls.get(rest.slice(5)) : undefined;
    return call ? [200, 'application/octet-stream', call] : [404, 'text/plain', 'not found'];
  }
}

type Reply = readonly [number, string, string | Uint8Array];

const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
};
