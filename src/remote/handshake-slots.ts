// At most HANDSHAKES SSH connections being set up at once, across all DUTs. Every DUT connects at
// the same moment at start (and each round with the same schedule), and 500 concurrent key
// exchanges on a 2-core test machine timed some out (bench/RESULTS.md); queued, each takes ms.
const HANDSHAKES = 16;
let running = 0;
const waiting: (() => void)[] = [];

/** Runs `connect` once a slot is free; the slot is held until it settles. */
export async function withHandshakeSlot<T>(connect: () => Promise<T>): Promise<T> {
  if (running < HANDSHAKES) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // handed over by a release
  try {
    return await connect();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}
