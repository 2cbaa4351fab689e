// Pieces shared by the networking.istio.io kinds, with Istio's field names.
import { z } from 'zod';
import { exactlyOne, re2Pattern, stringMap } from '../common.ts';

/** networking.istio.io is served at v1 (preferred), v1beta1 and v1alpha3 with one schema. */
export const ISTIO_API_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];

export const stringMatch = z
  .strictObject({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: re2Pattern.optional().describe('RE2 regular expression that must match the whole value.'),
  })
  .superRefine(exactlyOne(['exact', 'prefix', 'regex'], 'a string match'))
  .describe('Match a string exactly, by prefix, or by RE2 regex.');

/** Header and query parameter matches also accept `{}`: Istio then checks only that the key is present. */
export const presenceMatch = z
  .strictObject({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: re2Pattern.optional().describe('RE2 regular expression that must match the whole value.'),
  })
  .superRefine((v, ctx) => {
    const set = (['exact', 'prefix', 'regex'] as const).filter((k) => v[k] !== undefined);
    if (set.length > 1) ctx.addIssue({ code: 'custom', message: `a string match must set at most one of exact, prefix, regex, got ${set.join(' and ')}`, path: [], params: { reason: 'FieldValueInvalid' } });
  })
  .describe('Match exactly, by prefix, or by RE2 regex; {} matches when the key is present.');

export const portSelector = z.strictObject({ number: z.number().int().min(1).max(65535).describe('Port number.') });

export const destination = z
  .strictObject({
    host: z.string().min(1).describe('Service host: a short name, NAME.NAMESPACE.svc.cluster.local, or a ServiceEntry host.'),
    subset: z.string().optional().describe('A subset named in the DestinationRule for this host.'),
    port: portSelector.optional(),
  })
  .describe('Where the request goes.');

export const percent = z.strictObject({ value: z.number().min(0).max(100).describe('Percentage, 0.0 to 100.0.') });

/** RFC 9110 field names are tokens and values visible characters, spaces and tabs: anything else would break the message. */
const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~");
const headerValues = z.record(headerName, z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'must be an HTTP header value: visible characters, spaces and tabs, no line breaks or control characters'));

export const headerOperations = z.strictObject({
  set: headerValues.optional().describe('Overwrite these headers.'),
  add: headerValues.optional().describe('Append to these headers.'),
  remove: z.array(headerName).optional().describe('Remove these headers.'),
});

export const headers = z
  .strictObject({ request: headerOperations.optional(), response: headerOperations.optional() })
  .describe('Header manipulation for requests and responses.');

export const workloadSelector = z.strictObject({ labels: stringMap.optional() });
