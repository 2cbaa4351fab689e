// The dashboard's files under /ui/ on the API server's port. The browser code
// (src/web) is bundled by esbuild in memory the first time /ui/ is asked for
// and kept for the life of the process: nothing generated is committed or
// written to disk, `npm install` + `switchyard up` is all it takes, and every
// byte comes from src/web and its npm dependencies (no CDN; works offline).
// The files are public like any login page; every API call they make carries
// the user's bearer token.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const UI_PREFIX = '/ui/';
const ENTRY = fileURLToPath(new URL('../web/main.tsx', import.meta.url));

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

// Scripts, styles and connections only from this origin; no frames, no plugins.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function asset(body: string | Uint8Array, type: string): Asset {
  const buf = Buffer.from(body);
  return { body: buf, type, etag: `"${createHash('sha256').update(buf).digest('base64url').slice(0, 22)}"` };
}

function indexHtml(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchyard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css?v=${version}">
<script type="module" src="app.js?v=${version}"></script>
</head>
<body>
<div id="app"><noscript>The Switchyard dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;
}

/** Bundles src/web into app.js (+ source map) and app.css; index.html names them by content hash. */
export async function buildDashboard(): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints: { app: ENTRY },
    bundle: true,
    write: false,
    outdir: '/ui',
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'eof',
    logLevel: 'silent',
  });
  const files = new Map<string, Asset>();
  const types: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };
  for (const f of result.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    files.set(name, asset(f.contents, types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream'));
  }
  const version = createHash('sha256').update(files.get('app.js')!.body).update(files.get('app.css')?.body ?? '').digest('hex').slice(0, 12);
  files.set('', asset(indexHtml(version), 'text/html; charset=utf-8'));
  files.set('index.html', files.get('')!);
  return files;
}

/** Serves GET /ui/*: built once, on first use; a failed build answers 500 with esbuild's message and is retried next time. */
export function dashboardHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let built: Promise<Map<string, Asset>> | undefined;
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('the dashboard files are read-only\n');
    }
    if (path === '/ui') {
      res.writeHead(308, { location: UI_PREFIX });
      return void res.end();
    }
    built ??= buildDashboard();
    let files: Map<string, Asset>;
    try {
      files = await built;
    } catch (err) {
      built = undefined;
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(`the dashboard could not be built: ${(err as Error).message}\n`);
    }
    const file = files.get(path.slice(UI_PREFIX.length));
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      return void res.end(`no dashboard file at ${path}; open ${UI_PREFIX}\n`);
    }
    // Revalidated on every load (ETag): a restarted server with new code is picked up at once.
    const headers = { 'content-type': file.type, 'cache-control': 'no-cache', etag: file.etag, ...SECURITY_HEADERS };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };
}
