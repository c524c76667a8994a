// "Did you mean": the known key closest to a misspelt one.

/** Edits (insert, delete, substitute one character) from a to b. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The known key within 2 edits of `key`, or of which `key` is a prefix or the other way round
 * (`identity` for `identity_file`, `timeouts` for `timeout`); the fewest edits win, then the
 * first known. Edits must leave a character in place (`to` is not `n`), and a prefix needs 3
 * characters, so that short keys are not matched by chance.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestEdits = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const edits = levenshtein(key, candidate);
    const shorter = Math.min(key.length, candidate.length);
    const close = edits <= 2 && edits < shorter;
    const prefix = shorter >= 3 && (candidate.startsWith(key) || key.startsWith(candidate));
    if ((close || prefix) && edits < bestEdits) {
      best = candidate;
      bestEdits = edits;
    }
  }
  return best;
}
