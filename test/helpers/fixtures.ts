import { readFileSync } from 'node:fs';

/** A real tool output published elsewhere, from ../shared/fixtures/third-party (see its PROVENANCE.md). */
export function thirdParty(name: string): string {
  return readFileSync(new URL(`../../../shared/fixtures/third-party/${name}`, import.meta.url), 'utf8');
}
