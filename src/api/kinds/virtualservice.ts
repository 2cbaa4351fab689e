// VirtualService (networking.istio.io): HTTP routing with Istio's exact field
// names — matches, weighted destinations, mirrors, rewrites, retries, faults.
import { z } from 'zod';
import { anyObject, duration, kindObject } from '../common.ts';
import { destination, headers, ISTIO_API_VERSIONS, percent, presenceMatch, stringMatch } from './istio-common.ts';

const matchRequest = z
  .strictObject({
    name: z.string().optional(),
    uri: stringMatch.optional().describe('Match on the request path.'),
    scheme: stringMatch.optional(),
    method: stringMatch.optional().describe('Match on the HTTP method.'),
    authority: stringMatch.optional(),
    headers: z.record(z.string(), presenceMatch).optional().describe('Header name (lower case) to match; all must match. {} checks presence.'),
    withoutHeaders: z.record(z.string(), presenceMatch).optional().describe('Headers that must NOT match ({}: must be absent).'),
    queryParams: z.record(z.string(), presenceMatch).optional().describe('Query parameters to match. {} checks presence.'),
    port: z.number().int().optional(),
    sourceLabels: z.record(z.string(), z.string()).optional(),
    sourceNamespace: z.string().optional(),
    gateways: z.array(z.string()).optional(),
    ignoreUriCase: z.boolean().optional(),
    statPrefix: z.string().optional(),
  })
  .describe('Conditions a request must meet for the rule to apply; all fields are ANDed.');

const routeDestination = z.strictObject({
  destination,
  weight: z.number().int().min(0).optional().describe('Relative share of traffic for this destination.'),
  headers: headers.optional(),
});

const rewrite = z.strictObject({
  uri: z.string().optional().describe('Replace the matched path prefix with this.'),
  authority: z.string().optional().describe('Rewrite the Host/Authority header.'),
  uriRegexRewrite: z.strictObject({ match: z.string(), rewrite: z.string() }).optional(),
});

const retries = z.strictObject({
  attempts: z.number().int().min(0).describe('Number of retries.'),
  perTryTimeout: duration.optional(),
  retryOn: z.string().optional().describe('Comma separated conditions, e.g. 5xx,connect-failure.'),
  retryRemoteLocalities: z.boolean().optional(),
});

const fault = z.strictObject({
  delay: z
    .strictObject({ fixedDelay: duration, percentage: percent.optional(), percent: z.number().int().min(0).max(100).optional() })
    .optional()
    .describe('Delay a percentage of requests.'),
  abort: z
    .strictObject({ httpStatus: z.number().int().min(200).max(599).optional(), grpcStatus: z.string().optional(), http2Error: z.string().optional(), percentage: percent.optional() })
    .optional()
    .describe('Fail a percentage of requests.'),
});

const mirrorPolicy = z.strictObject({ destination, percentage: percent.optional() });

const httpRoute = z.strictObject({
  name: z.string().optional().describe('Name of the route, for logs and plans that target it.'),
  match: z.array(matchRequest).optional(),
  route: z.array(routeDestination).optional().describe('Weighted destinations for matching requests.'),
  redirect: anyObject.optional(),
  directResponse: anyObject.optional(),
  delegate: anyObject.optional(),
  rewrite: rewrite.optional(),
  timeout: duration.optional().describe('Timeout for the whole request.'),
  retries: retries.optional(),
  fault: fault.optional(),
  mirror: destination.optional().describe('Copy requests to this destination; responses are discarded.'),
  mirrorPercentage: percent.optional().describe('Share of requests mirrored to mirror (default 100).'),
  mirrors: z.array(mirrorPolicy).optional().describe('Several mirror destinations, each with its own percentage.'),
  corsPolicy: anyObject.optional(),
  headers: headers.optional(),
});

/** Switchyard's sticky-unit annotation on a VirtualService: `header:NAME`, `cookie:NAME` or `query:NAME` (docs/routing.md). */
export const UNIT_KEY_ANNOTATION = 'switchyard.dev/unit-key';

export const virtualServiceSpec = z.strictObject({
  hosts: z.array(z.string()).optional().describe('Hosts (Host header values) this VirtualService routes.'),
  gateways: z.array(z.string()).optional().describe('Gateways (and "mesh") the routes apply to.'),
  http: z.array(httpRoute).optional().describe('Ordered HTTP routes; the first match wins.'),
  tls: z.array(anyObject).optional(),
  tcp: z.array(anyObject).optional(),
  exportTo: z.array(z.string()).optional(),
});

export const virtualServiceSchema = kindObject({
  apiVersions: ISTIO_API_VERSIONS,
  kind: 'VirtualService',
  spec: virtualServiceSpec,
  status: z.looseObject({}),
}).describe('VirtualService configures how requests to a host are matched and routed to destinations.');

export type VirtualService = z.infer<typeof virtualServiceSchema>;
export type HttpRoute = z.infer<typeof httpRoute>;
