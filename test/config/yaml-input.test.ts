// The one YAML-to-typed-value path of the configuration and the web configuration: the same key
// paths and YAML errors whichever messages the schema's issues are given in.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseYaml } from '../../src/config/yaml-input.js';

const schema = z.strictObject({ lists: z.array(z.strictObject({ names: z.array(z.string()) })).optional() });
const modes = ['config', 'zod'] as const;

describe('parseYaml', () => {
  it('gives the typed value and the raw document', () => {
    expect(parseYaml('lists: [{ names: [a] }]', schema, 'config')).toEqual({
      ok: true,
      value: { lists: [{ names: ['a'] }] },
      raw: { lists: [{ names: ['a'] }] },
    });
  });

  it.each(modes)('reads an empty file as an empty mapping (%s messages)', (messages) => {
    expect(parseYaml('# nothing\n', schema, messages)).toEqual({ ok: true, value: {}, raw: null });
  });

  it('names a nested list element alike in both, in the configuration’s terms or in zod’s', () => {
    const text = 'lists: [{ names: [a] }, { names: [b, 1] }, { nmes: [] }]';
    expect(parseYaml(text, schema, 'config')).toMatchObject({
      ok: false,
      issues: [
        { path: 'lists[1].names[1]', message: 'must be a string, got 1' },
        { path: 'lists[2].nmes', message: 'unknown key; did you mean "names"?' },
      ],
    });
    expect(parseYaml(text, schema, 'zod')).toMatchObject({
      ok: false,
      issues: [
        { path: 'lists[1].names[1]', message: 'Invalid input: expected string, received number' },
        { path: 'lists[2].names', message: 'Invalid input: expected array, received undefined' },
        { path: 'lists[2].nmes', message: 'unknown key' },
      ],
    });
  });

  it.each(modes)('reports a YAML syntax error on its first line, without key path or raw document (%s messages)', (messages) => {
    expect(parseYaml('lists: [\n', schema, messages)).toEqual({
      ok: false,
      issues: [
        { path: '', message: 'YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1' },
      ],
      raw: undefined,
    });
  });

  it('merges `<<:` keys and still refuses an exponential expansion', () => {
    const merged = parseYaml('base: &b { names: [a] }\nlists: [{ <<: *b }]', z.object({ lists: z.unknown() }), 'zod');
    expect(merged).toMatchObject({ ok: true, value: { lists: [{ names: ['a'] }] } });
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${`*${'abcdefg'[i]}, `.repeat(10).slice(0, -2)}]`),
    ];
    const refused = parseYaml(bomb.join('\n'), schema, 'zod');
    expect(refused.ok ? [] : refused.issues).toEqual([
      { path: '', message: 'YAML: Excessive alias count indicates a resource exhaustion attack (more than 10000 alias expansions)' },
    ]);
  });

  it('does not blame the alias limit for a merge of a non-mapping', () => {
    expect(parseYaml('a: &a [x]\nlists: { <<: *a }', schema, 'config')).toMatchObject({
      ok: false,
      issues: [{ path: '', message: 'YAML: Merge sources must be maps or map aliases' }],
    });
  });
});
