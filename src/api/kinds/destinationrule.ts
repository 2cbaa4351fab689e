// DestinationRule (networking.istio.io): subsets by label and traffic policy.
// Traffic policy internals are accepted as written (not enforced locally).
import { z } from 'zod';
import { anyObject, kindObject, stringMap } from '../common.ts';
import { ISTIO_API_VERSIONS, workloadSelector } from './istio-common.ts';

const loadBalancer = z.strictObject({
  simple: z.enum(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST']).optional(),
  consistentHash: anyObject.optional().describe('Sticky sessions by httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName.'),
  localityLbSetting: anyObject.optional(),
  warmupDurationSecs: z.string().optional(),
});

const trafficPolicy = z.strictObject({
  loadBalancer: loadBalancer.optional(),
  connectionPool: anyObject.optional(),
  outlierDetection: anyObject.optional(),
  tls: anyObject.optional(),
  portLevelSettings: z.array(anyObject).optional(),
  tunnel: anyObject.optional(),
  proxyProtocol: anyObject.optional(),
});

const subset = z.strictObject({
  name: z.string().min(1).describe('Subset name, referenced by VirtualService destination.subset.'),
  labels: stringMap.optional().describe('Pod labels that select the subset.'),
  trafficPolicy: trafficPolicy.optional(),
});

export const destinationRuleSpec = z.strictObject({
  host: z.string().min(1).describe('The service the rule applies to.'),
  subsets: z.array(subset).optional(),
  trafficPolicy: trafficPolicy.optional(),
  workloadSelector: workloadSelector.optional(),
  exportTo: z.array(z.string()).optional(),
});

export const destinationRuleSchema = kindObject({
  apiVersions: ISTIO_API_VERSIONS,
  kind: 'DestinationRule',
  spec: destinationRuleSpec,
  status: z.looseObject({}),
}).describe('DestinationRule defines subsets of a service and the policies applied after routing.');

export type DestinationRule = z.infer<typeof destinationRuleSchema>;
