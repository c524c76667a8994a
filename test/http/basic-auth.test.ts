// Basic auth: the Authorization header read as Go reads it, successes remembered so concurrent
// scrapers cost one bcrypt, failures never remembered, over a real (plain HTTP) server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseBasicAuth } from '../../src/http/basic-auth.js';
import { loadWebConfig } from '../../src/http/web-config.js';
import { type Running, request, serve, stop } from './client.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('parseBasicAuth', () => {
  it.each([
    [basic('alice:secret'), { user: 'alice', password: 'secret' }],
    [basic('alice:se:cr:et'), { user: 'alice', password: 'se:cr:et' }],
    [basic('alice:'), { user: 'alice', password: '' }],
    [basic('älice:pässword'), { user: 'älice', password: 'pässword' }],
    [`basic  ${Buffer.from('a:b').toString('base64')}`, { user: 'a', password: 'b' }],
    [basic('alice'), undefined],
    ['Basic !!!!', undefined],
    ['Basic', undefined],
    ['Bearer YWxpY2U6c2VjcmV0', undefined],
    [undefined, undefined],
  ])('%s', (header, expected) => {
    expect(parseBasicAuth(header)).toEqual(expected);
  });
});

describe('basic auth over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgebench-basic-auth-'));
  let s: Running;
  const compare = vi.spyOn(bcrypt, 'compare');
  beforeAll(async () => {
    const file = join(dir, 'web.yml');
    // Cost 10, the toolkit's documented default: about 70 ms per check.
    writeFileSync(
      file,
      `basic_auth_users:\n  alice: ${bcrypt.hashSync('alice-secret', 10)}\n  long: ${bcrypt.hashSync('x'.repeat(72), 10)}\n`,
    );
    s = await serve(loadWebConfig(file));
  });
  afterEach(() => compare.mockClear());
  afterAll(async () => {
    compare.mockRestore();
    await stop(s);
    rmSync(dir, { recursive: true, force: true });
  });
  const get = (auth?: string) => request(s.url('/metrics'), { auth }).then((r) => r.status);

  it('50 concurrent scrapers with the right password cost one bcrypt, and later scrapes none', async () => {
    const statuses = await Promise.all(Array.from({ length: 50 }, () => get('alice:alice-secret')));
    expect(statuses).toEqual(Array(50).fill(200));
    expect(compare).toHaveBeenCalledTimes(1);
    expect(await Promise.all(Array.from({ length: 50 }, () => get('alice:alice-secret')))).toEqual(Array(50).fill(200));
    expect(compare).toHaveBeenCalledTimes(1);
  });

  it('never remembers a failure: each wrong password costs a bcrypt', async () => {
    for (let i = 0; i < 3; i++) expect(await get('alice:wrong')).toBe(401);
    expect(compare).toHaveBeenCalledTimes(3);
  });

  it('checks an unknown user against a decoy hash, so it takes as long as a wrong password', async () => {
    expect(await get('mallory:alice-secret')).toBe(401);
    expect(compare).toHaveBeenCalledTimes(1);
  });

  it('refuses a password longer than bcrypt reads (72 bytes), even when its first 72 bytes match', async () => {
    expect(await get(`long:${'x'.repeat(72)}`)).toBe(200);
    expect(await get(`long:${'x'.repeat(73)}`)).toBe(401);
  });

  it('asks nothing when the web config has no users', async () => {
    const open = await serve(undefined);
    try {
      expect((await request(open.url('/metrics'))).status).toBe(200);
    } finally {
      await stop(open);
    }
  });
});
