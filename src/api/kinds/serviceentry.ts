// ServiceEntry (networking.istio.io): adds hosts the mesh can route to.
import { z } from 'zod';
import { kindObject, stringMap } from '../common.ts';
import { ISTIO_API_VERSIONS, workloadSelector } from './istio-common.ts';

const port = z.strictObject({
  number: z.number().int().min(1).max(65535),
  protocol: z.enum(['HTTP', 'HTTPS', 'GRPC', 'HTTP2', 'MONGO', 'TCP', 'TLS']).optional().describe('HTTP|HTTPS|GRPC|HTTP2|MONGO|TCP|TLS.'),
  name: z.string().describe('Label for the port.'),
  targetPort: z.number().int().min(1).max(65535).optional(),
});

const endpoint = z.strictObject({
  address: z.string().optional().describe('IP address or DNS name of the endpoint.'),
  ports: z.record(z.string(), z.number().int().min(1).max(65535)).optional().describe('Port name to port number.'),
  labels: stringMap.optional(),
  network: z.string().optional(),
  locality: z.string().optional(),
  weight: z.number().int().min(0).optional(),
  serviceAccount: z.string().optional(),
});

export const serviceEntrySpec = z.strictObject({
  hosts: z.array(z.string()).min(1).describe('Hosts associated with the entry.'),
  addresses: z.array(z.string()).optional(),
  ports: z.array(port).optional(),
  location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).optional(),
  resolution: z.enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']).optional().describe('How endpoints are resolved: NONE, STATIC, DNS or DNS_ROUND_ROBIN; NONE when absent.'),
  endpoints: z.array(endpoint).optional(),
  workloadSelector: workloadSelector.optional(),
  exportTo: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
});

export const serviceEntrySchema = kindObject({
  apiVersions: ISTIO_API_VERSIONS,
  kind: 'ServiceEntry',
  spec: serviceEntrySpec,
  status: z.looseObject({}),
}).describe('ServiceEntry adds an entry to the service registry so the mesh can route to it.');

export type ServiceEntry = z.infer<typeof serviceEntrySchema>;
