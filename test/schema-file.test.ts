import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from '../harness/repo.js';

describe('the published JSON Schema', () => {
  it('is what `edgebench schema` generates (regenerate with `npm run generate`)', () => {
    const committed = readFileSync(new URL('../schema/edgebench-config.schema.json', import.meta.url), 'utf8');
    expect(execFileSync(process.execPath, [cli, 'schema'], { encoding: 'utf8' })).toBe(committed);
  });

  it('forbids unknown keys, so editors flag typos', () => {
    const schema = JSON.parse(readFileSync(new URL('../schema/edgebench-config.schema.json', import.meta.url), 'utf8'));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.duts.items.additionalProperties).toBe(false);
    expect(schema.properties.duts.items.properties.benchmarks.properties.sysbench.additionalProperties).toBe(false);
  });
});

describe('edgebench.example.yml', () => {
  it('is valid against the schema (its key files exist only on a real test machine)', async () => {
    const { parse } = await import('yaml');
    const { configSchema } = await import('../src/config-file/schema.js');
    const example = parse(readFileSync(new URL('../edgebench.example.yml', import.meta.url), 'utf8'));
    const result = configSchema.safeParse(example);
    expect(result.error?.issues ?? []).toEqual([]);
  });
});
