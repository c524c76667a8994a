import { readFileSync } from 'node:fs';

/** A real tool output published elsewhere, from test/fixtures/third-party (see its PROVENANCE.md). */
export function thirdParty(name: string): string {
  return readFileSync(new URL(`../fixtures/third-party/${name}`, import.meta.url), 'utf8');
}
