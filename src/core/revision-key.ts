// Revision names are unique only within a namespace (KServe names them
// NAME-predictor-0000N), so whatever runs or routes revisions on this
// machine — replica sets, ready endpoints, in-flight counts, the autoscaler —
// keys a revision by its namespace and name together. Names shown to users
// (status, pod labels, response headers, telemetry) stay the plain name.
export function revisionKey(namespace: string, revision: string): string {
  return `${namespace}/${revision}`;
}
