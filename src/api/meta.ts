// ObjectMeta and the name/label rules of Kubernetes (apimachinery validation),
// with the same messages kube-apiserver prints so users recognise them.
import { z } from 'zod';

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;

const labelRe = new RegExp(`^${DNS1123_LABEL}$`);
const subdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
const qualifiedNameRe = new RegExp(`^${QUALIFIED_NAME}$`);
const labelValueRe = new RegExp(`^${LABEL_VALUE}$`);

/** Problems with a DNS-1123 label (namespaces, Istio subset names); [] when valid. */
export function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!labelRe.test(value)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '" +
        DNS1123_LABEL +
        "')",
    );
  }
  return errs;
}

/** Problems with a DNS-1123 subdomain (most object names); [] when valid. */
export function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!subdomainRe.test(value)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" +
        DNS1123_SUBDOMAIN +
        "')",
    );
  }
  return errs;
}

/** Problems with a label or annotation key ("prefix/name" or "name"). */
export function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  let name = key;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix = '', rest = ''] = parts;
    name = rest;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" +
        QUALIFIED_NAME +
        "') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !qualifiedNameRe.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" +
        QUALIFIED_NAME +
        "')",
    );
  }
  return errs;
}

export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!labelValueRe.test(value)) {
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '" +
        LABEL_VALUE +
        "')",
    );
  }
  return errs;
}

type Ctx = z.core.$RefinementCtx;

function report(ctx: Ctx, path: PropertyKey[], value: unknown, errs: string[]): void {
  for (const message of errs) ctx.addIssue({ code: 'custom', message, path, params: { reason: 'FieldValueInvalid', value }, input: value });
}

const labels = z
  .record(z.string(), z.string())
  .superRefine((map, ctx) => {
    for (const [k, v] of Object.entries(map)) {
      report(ctx, [], k, qualifiedNameErrors(k));
      report(ctx, [], v, labelValueErrors(v));
    }
  })
  .describe('Map of string keys and values that can be used to organize and categorize (scope and select) objects.');

const annotations = z
  .record(z.string(), z.string())
  .superRefine((map, ctx) => {
    for (const k of Object.keys(map)) report(ctx, [], k, qualifiedNameErrors(k));
  })
  .describe('Unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.');

export const ownerReference = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

const objectMetaFields = {
  name: z.string().optional().describe('Name must be unique within a namespace. Cannot be updated.'),
  generateName: z.string().optional().describe('Optional prefix used by the server to generate a unique name if name is not provided.'),
  namespace: z.string().optional().describe('Namespace defines the space within which each name must be unique.'),
  uid: z.string().optional().describe('UID is the unique in time and space value for this object, set by the server.'),
  resourceVersion: z.string().optional().describe('An opaque value that represents the internal version of this object, used for optimistic concurrency.'),
  generation: z.number().int().optional().describe('A sequence number representing a specific generation of the desired state.'),
  creationTimestamp: z.string().nullable().optional().describe('Time when this object was created (RFC 3339, UTC), set by the server.'),
  deletionTimestamp: z.string().nullable().optional().describe('Time at which this resource will be deleted, set by the server.'),
  deletionGracePeriodSeconds: z.number().int().optional(),
  labels: labels.optional(),
  annotations: annotations.optional(),
  finalizers: z.array(z.string()).optional().describe('Must be empty before the object is deleted from the registry.'),
  ownerReferences: z.array(ownerReference).optional().describe('List of objects depended by this object.'),
  managedFields: z.array(z.unknown()).optional().describe('Which field managers manage which fields; accepted and kept as written.'),
  selfLink: z.string().optional(),
};

/** Checks names the way kube-apiserver does for an object of the given scope. */
export function checkNames(meta: { name?: string | undefined; generateName?: string | undefined; namespace?: string | undefined }, ctx: Ctx, nameRule: (n: string) => string[] = dns1123SubdomainErrors): void {
  if (meta.name === undefined || meta.name === '') {
    if (!meta.generateName) ctx.addIssue({ code: 'custom', message: 'name or generateName is required', path: ['name'], params: { reason: 'FieldValueRequired' } });
  } else {
    report(ctx, ['name'], meta.name, nameRule(meta.name));
  }
  if (meta.namespace !== undefined && meta.namespace !== '') report(ctx, ['namespace'], meta.namespace, dns1123LabelErrors(meta.namespace));
}

/** ObjectMeta with the usual name rules (DNS-1123 subdomain names, DNS-1123 label namespaces). */
export function objectMetaWith(nameRule: (n: string) => string[] = dns1123SubdomainErrors) {
  return z.strictObject(objectMetaFields).superRefine((meta, ctx) => checkNames(meta, ctx, nameRule));
}

export const objectMeta = objectMetaWith();

/** Names that must be DNS-1123 labels (Namespaces, and objects whose name becomes a host label). */
export const objectMetaLabelName = objectMetaWith(dns1123LabelErrors);

/** Server-written views (Pods, Events) take metadata as the server wrote it. */
export const looseObjectMeta = z.looseObject(objectMetaFields);

export type ObjectMeta = z.infer<typeof objectMeta>;
