// A Google service-account key exchanged for an access token (OAuth 2.0 JWT
// bearer grant, RFC 7523): a JWT signed RS256 with the key's private key,
// posted to the key's own `token_uri`. Only the endpoint the key names is
// contacted; nothing probes a metadata server.
import { createSign } from 'node:crypto';
import { request, type Dispatcher } from 'undici';

const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export async function serviceAccountToken(key: Record<string, unknown>, scope: string, dispatcher: Dispatcher): Promise<{ accessToken: string; expiresInS: number }> {
  if (key.type !== 'service_account' || typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new Error(`the key is not a service-account key (type "${String(key.type)}", needs client_email and private_key)`);
  }
  const tokenUri = typeof key.token_uri === 'string' ? key.token_uri : DEFAULT_TOKEN_URI;
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(typeof key.private_key_id === 'string' ? { kid: key.private_key_id } : {}) }));
  const claims = b64url(JSON.stringify({ iss: key.client_email, scope, aud: tokenUri, iat: now, exp: now + 3600 }));
  const signature = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(key.private_key).toString('base64url');
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${head}.${claims}.${signature}` }).toString();
  const res = await request(tokenUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, dispatcher });
  const answer = (await res.body.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (res.statusCode !== 200 || !answer.access_token) {
    throw new Error(`${tokenUri} answered HTTP ${res.statusCode}${answer.error ? `: ${answer.error}${answer.error_description ? ` (${answer.error_description})` : ''}` : ''}`);
  }
  return { accessToken: answer.access_token, expiresInS: answer.expires_in ?? 3600 };
}
