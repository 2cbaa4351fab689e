// Downloads an http(s) artifact into the cache's staging area, enforcing the
// size limit on the bytes actually received (a server may omit or lie about
// Content-Length) and a deadline on the whole transfer.
import { Agent, errors as undiciErrors, interceptors, request } from 'undici';
import { isSwitchyardError, syError } from '../../core/errors.ts';
import { stageStream, type StagedFile } from './cache.ts';
import { redact } from './uri.ts';

// Model hosts (object stores, release pages, hubs) commonly redirect.
const dispatcher = new Agent({ connections: 4 }).compose(interceptors.redirect({ maxRedirections: 5 }));

// Detect a stalled connection well before a long overall deadline.
const MAX_STALL_MS = 60_000;

export interface DownloadLimits {
  cacheDir: string;
  maxBytes: number;
  timeoutMs: number;
}

class TooLarge extends Error {}

/** Drop a response body we will not read; undici reports that as an error nobody should see. */
function abandon(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

function tooLarge(uri: string, maxBytes: number, seen: string): Error {
  return syError('SY_ERR_STORAGE_TOO_LARGE', `storageUri "${redact(uri)}": the artifact is larger than the ${maxBytes}-byte limit (${seen}); raise the limit or publish a smaller artifact`);
}

export async function download(uri: string, url: string, limits: DownloadLimits): Promise<StagedFile> {
  const { cacheDir, maxBytes, timeoutMs } = limits;
  const where = redact(uri);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const stall = Math.min(timeoutMs, MAX_STALL_MS);
  try {
    const res = await request(url, { method: 'GET', dispatcher, signal: ac.signal, headersTimeout: stall, bodyTimeout: stall });
    if (res.statusCode !== 200) {
      abandon(res.body);
      const code = res.statusCode === 404 || res.statusCode === 410 ? 'SY_ERR_STORAGE_NOT_FOUND' : 'SY_ERR_STORAGE_DOWNLOAD';
      throw syError(code, `storageUri "${where}": the server answered HTTP ${res.statusCode}${code === 'SY_ERR_STORAGE_NOT_FOUND' ? ' (no artifact at this URL)' : ''}`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      abandon(res.body);
      throw tooLarge(uri, maxBytes, `Content-Length says ${declared}`);
    }
    try {
      return await stageStream(cacheDir, res.body, (bytes) => {
        if (bytes > maxBytes) throw new TooLarge();
      });
    } catch (err) {
      if (err instanceof TooLarge) throw tooLarge(uri, maxBytes, 'download aborted once it passed the limit');
      throw err;
    }
  } catch (err) {
    if (isSwitchyardError(err)) throw err;
    if (ac.signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      throw syError('SY_ERR_STORAGE_DOWNLOAD', `storageUri "${where}": the download did not finish within ${ac.signal.aborted ? timeoutMs : stall} ms; check the server or raise the timeout`, { cause: err });
    }
    const reason = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err);
    throw syError('SY_ERR_STORAGE_DOWNLOAD', `storageUri "${where}": the download failed (${reason})`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
