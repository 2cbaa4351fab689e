// Writes the generated artefacts under docs/generated/ from the zod schemas:
// one JSON Schema per kind, the OpenAPI v3 index and group-version documents,
// and the Swagger 2.0 document. `npm run gen`; test/api/generated.test.ts fails
// when the committed files drift from the schemas.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KINDS, groupVersions } from '../src/api/registry.ts';
import { kindJsonSchema, openApiV2Document, openApiV3Document, openApiV3Index } from '../src/api/openapi.ts';

export const GENERATED_DIR = 'docs/generated';

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** Relative path under docs/generated → file content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const k of KINDS) files.set(`schemas/${k.kind}.json`, json(kindJsonSchema(k)));
  files.set('openapi/v3/index.json', json(openApiV3Index()));
  for (const { group, versions } of groupVersions()) {
    for (const v of versions) {
      const file = group === '' ? `api__${v}.json` : `apis__${group}__${v}.json`;
      files.set(`openapi/v3/${file}`, json(openApiV3Document(group, v)));
    }
  }
  files.set('openapi/v2.json', json(openApiV2Document()));
  return files;
}

/** Files now under docs/generated, relative and sorted (none when it does not exist). */
export function existingGeneratedFiles(root = GENERATED_DIR): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join((e as { parentPath?: string; path?: string }).parentPath ?? (e as { path?: string }).path ?? root, e.name)).split(sep).join('/'))
    .sort();
}

function main(): void {
  const files = generatedFiles();
  for (const stale of existingGeneratedFiles()) if (!files.has(stale)) rmSync(join(GENERATED_DIR, stale));
  for (const [rel, content] of files) {
    const path = join(GENERATED_DIR, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  console.log(`wrote ${files.size} files to ${GENERATED_DIR}/`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
