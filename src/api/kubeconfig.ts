// A kubeconfig (clientcmd v1 Config) for one server and one bearer token, as
// `switchyard up` writes it for the admin and `token create -o kubeconfig`
// prints it for a new token. The token's role and groups ride along in the
// user's `extensions` (kubectl keeps and ignores them; `kubectl config view`
// shows them): for people to read, the server decides from the token alone.

export const TOKEN_EXTENSION = 'switchyard.dev/token';

export interface KubeconfigFor {
  server: string;
  /** PEM of the CA that signs the server's certificate (https servers). */
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  /** The user (and context) name, e.g. the token's name. */
  user: string;
  token: string;
  role: string;
  groups: readonly string[];
  namespace?: string;
}

export function kubeconfigDocument(k: KubeconfigFor): Record<string, unknown> {
  const cluster = {
    server: k.server,
    ...(k.ca ? { 'certificate-authority-data': Buffer.from(k.ca).toString('base64') } : {}),
    ...(k.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
  };
  const extension = { role: k.role, ...(k.groups.length > 0 ? { groups: [...k.groups] } : {}) };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'switchyard', cluster }],
    users: [{ name: k.user, user: { token: k.token, extensions: [{ name: TOKEN_EXTENSION, extension }] } }],
    contexts: [{ name: 'switchyard', context: { cluster: 'switchyard', user: k.user, namespace: k.namespace ?? 'default' } }],
    'current-context': 'switchyard',
    preferences: {},
  };
}
