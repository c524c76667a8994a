import { describe, expect, it } from 'vitest';
import { routeDevice, TrafficLinks } from '../../src/engine/traffic-links.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TrafficLinks', () => {
  const linkOf = async (address: string) => (address.startsWith('10.1.') ? 'eth1' : 'eth2');

  it('never overlaps two jobs on one link, and runs them in arrival order', async () => {
    const links = new TrafficLinks(linkOf);
    const events: string[] = [];
    const job = (name: string, address: string) =>
      links.exclusive(address, async (link) => {
        events.push(`start ${name} ${link}`);
        await sleep(30);
        events.push(`end ${name}`);
      });
    await Promise.all([job('a', '10.1.0.2'), job('b', '10.1.0.3'), job('c', '10.1.0.4')]);
    expect(events).toEqual(['start a eth1', 'end a', 'start b eth1', 'end b', 'start c eth1', 'end c']);
  });

  it('lets jobs on different links run at the same time', async () => {
    const links = new TrafficLinks(linkOf);
    const events: string[] = [];
    const job = (name: string, address: string) =>
      links.exclusive(address, async () => {
        events.push(`start ${name}`);
        await sleep(30);
        events.push(`end ${name}`);
      });
    await Promise.all([job('a', '10.1.0.2'), job('b', '10.2.0.2')]);
    expect(events.slice(0, 2).sort()).toEqual(['start a', 'start b']);
  });

  it('releases the link when a job fails', async () => {
    const links = new TrafficLinks(linkOf);
    await expect(
      links.exclusive('10.1.0.2', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(links.exclusive('10.1.0.2', async () => 'next')).resolves.toBe('next');
  });
});

describe('routeDevice (the real routing table)', () => {
  it('finds loopback for 127.0.0.1', async () => {
    expect(await routeDevice('127.0.0.1')).toBe('lo');
  });

  it('resolves a host name first', async () => {
    expect(await routeDevice('localhost')).toBe('lo');
  });

  it("falls back to the one shared lock '*' when the route cannot be told", async () => {
    expect(await routeDevice('no-such-host.invalid')).toBe('*');
  });
});
