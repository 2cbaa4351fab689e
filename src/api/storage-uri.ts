// Which storageUri schemes exist, checked when an object is written. Two kinds
// are valid: those switchyard up fetches itself, and those only KServe's
// storage initializer knows, which a cluster serves and switchyard up reports
// on the InferenceService when it tries (PredictorReady False, ModelLoadFailed,
// naming the schemes it fetches). A scheme neither knows (s4://, ftp://) is a
// typo or an invention: it is refused at apply, as KServe's webhook refuses
// it, instead of failing later. Text without `scheme://` is a local path to
// KServe and passes here too.
import { z } from 'zod';
import { invalid } from './common.ts';

/** Schemes switchyard up's storage initializer fetches (src/runtime/storage). */
export const SUPPORTED_SCHEMES = ['file://', 'pvc://', 'http://', 'https://', 's3://', 'gs://'] as const;

/** Schemes KServe's storage initializer knows and switchyard up does not fetch. */
export const KSERVE_ONLY_SCHEMES = ['hdfs://', 'webhdfs://', 'oci://', 'hf://'] as const;

const KNOWN: ReadonlySet<string> = new Set([...SUPPORTED_SCHEMES, ...KSERVE_ONLY_SCHEMES]);

/** The URI's scheme in lower case (`s3` of `S3://b/k`), or undefined when it has no `scheme://`. */
export function schemeOf(uri: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri.trim())?.[1]?.toLowerCase();
}

/** Hide credentials (user:pass@) when a URI goes into a message. */
export function redact(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@#?]*@/i, '$1***@');
}

/** A storageUri string whose scheme, if it has one, is one Switchyard or KServe knows. */
export const storageUri = z.string().superRefine((uri, ctx) => {
  const scheme = schemeOf(uri);
  if (scheme === undefined || KNOWN.has(`${scheme}://`)) return;
  invalid(
    ctx, [], redact(uri),
    `scheme ${scheme}:// is not a storage scheme; supported schemes: ${SUPPORTED_SCHEMES.join(', ')} (and on a KServe cluster ${KSERVE_ONLY_SCHEMES.join(', ')})`,
    'FieldValueNotSupported',
  );
});
