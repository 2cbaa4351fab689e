// Object output shared by the verbs: -o json|yaml|name|jsonpath=..., the
// `kind.group/name` labels kubectl prints, and TYPE NAME / TYPE/NAME arguments.
import { syError } from '../core/errors.ts';
import { formatData } from '../core/text-output.ts';
import { jsonpath } from './jsonpath.ts';
import { qualifiedSingular, type ResourceInfo } from './resources.ts';

// The text output every command shares, kept in core so that the runtime's own commands
// (`runtimes list`) print alike; the verbs import it from here.
export { formatData, parseDataFormat, type DataFormat } from '../core/text-output.ts';

export type KubeObject = Record<string, any> & { metadata?: { name?: string; namespace?: string; [k: string]: any } };

export type OutputFormat = { kind: 'table'; wide: boolean } | { kind: 'json' | 'yaml' | 'name' } | { kind: 'jsonpath'; template: string };

export function parseOutputFormat(flag: string | undefined): OutputFormat {
  if (flag === undefined || flag === '') return { kind: 'table', wide: false };
  if (flag === 'wide') return { kind: 'table', wide: true };
  if (flag === 'json' || flag === 'yaml' || flag === 'name') return { kind: flag };
  const m = /^jsonpath=(.*)$/s.exec(flag);
  if (m) return { kind: 'jsonpath', template: m[1]! };
  throw syError('SY_ERR_CONFIG', `unable to match a printer suitable for the output format "${flag}", allowed formats are: json,jsonpath,name,wide,yaml`);
}

/** `inferenceservice.serving.kserve.io/sklearn-iris` */
export function objectLabel(r: ResourceInfo, name: string): string {
  return `${qualifiedSingular(r)}/${name}`;
}

/** One object stays itself; several (or a list request) become a v1 List, as kubectl prints them. */
export function oneOrList(objects: KubeObject[], asList = false): KubeObject {
  return !asList && objects.length === 1 ? objects[0]! : { apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } };
}

export function formatObjects(objects: KubeObject[], format: OutputFormat, r: ResourceInfo, asList: boolean): string {
  if (format.kind === 'name') return objects.map((o) => objectLabel(r, o.metadata?.name ?? '')).join('\n');
  const data = oneOrList(objects, asList);
  if (format.kind === 'json' || format.kind === 'yaml') return formatData(data, format.kind);
  if (format.kind === 'jsonpath') return jsonpath(format.template, data);
  throw syError('SY_ERR_INTERNAL', 'table output is printed by the verb');
}

export interface TypedNames {
  type: string;
  names: string[];
}

/** Accepts `TYPE NAME...` and `TYPE/NAME TYPE2/NAME2...`, grouping names by type. */
export function parseTypeAndNames(args: string[]): TypedNames[] {
  const first = args[0];
  if (first === undefined) throw syError('SY_ERR_CONFIG', 'you must specify the type of resource, e.g. `isvc` or `isvc/NAME`');
  if (!first.includes('/')) {
    const bad = args.slice(1).find((a) => a.includes('/'));
    if (bad) throw syError('SY_ERR_CONFIG', `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got "${bad}")`);
    return [{ type: first, names: args.slice(1) }];
  }
  const groups: TypedNames[] = [];
  for (const arg of args) {
    const slash = arg.indexOf('/');
    if (slash <= 0 || slash === arg.length - 1) throw syError('SY_ERR_CONFIG', `arguments in resource/name form must have a single resource and name (got "${arg}")`);
    const type = arg.slice(0, slash);
    const name = arg.slice(slash + 1);
    const group = groups.find((g) => g.type === type);
    if (group) group.names.push(name);
    else groups.push({ type, names: [name] });
  }
  return groups;
}
