// Who may post outcome feedback to `switchyard sink`: bearer tokens listed in
// a file, one per line (blank lines and # comments ignored), meant to be a
// Secret mounted into the sink's pod. Feedback changes decisions, so the sink
// takes none without a token from the file. The file is read again when it
// changes (a rotated Secret needs no restart), and tokens are compared by
// their SHA-256 in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { syError } from '../core/errors.ts';
import { bearerToken } from './auth.ts';

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** The tokens of a file's text: one per line, trimmed; blank lines and lines starting with # skipped. */
export function parseTokens(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Checks an Authorization header against the tokens of `file`: throws SY_ERR_UNAUTHORIZED when there is
 * no bearer token, when it is not in the file, or when no file was given (the sink then takes no feedback).
 */
export function fileTokenCheck(file: string | undefined): (authorization: string | undefined) => void {
  let loaded: { mtimeMs: number; size: number; digests: Buffer[] } | undefined;
  const digests = (path: string): Buffer[] => {
    let stat;
    try {
      stat = statSync(path);
      if (!loaded || loaded.mtimeMs !== stat.mtimeMs || loaded.size !== stat.size) {
        loaded = { mtimeMs: stat.mtimeMs, size: stat.size, digests: parseTokens(readFileSync(path, 'utf8')).map(digest) };
      }
    } catch (err) {
      throw syError('SY_ERR_UNAVAILABLE', `the sink cannot read its feedback tokens file ${path}: ${(err as Error).message}`);
    }
    return loaded.digests;
  };
  return (authorization) => {
    if (file === undefined) {
      throw syError('SY_ERR_UNAUTHORIZED', 'this sink takes no feedback: start it with --feedback-tokens-file FILE (a mounted Secret, one token per line) and send one of them as a bearer token');
    }
    const token = bearerToken(authorization);
    if (token === undefined) throw syError('SY_ERR_UNAUTHORIZED', 'feedback needs a bearer token (Authorization: Bearer TOKEN) from the sink\'s feedback tokens file');
    const given = digest(token);
    // Every entry is compared, so the time taken says nothing about which one matched.
    let ok = false;
    for (const d of digests(file)) ok = timingSafeEqual(d, given) || ok;
    if (!ok) throw syError('SY_ERR_UNAUTHORIZED', 'the bearer token is not one of the sink\'s feedback tokens');
  };
}
