import { ConfigError, loadConfig } from '../config-file/load.js';
import { planRound } from '../engine/round.js';

/** Exit 0 when the file is valid, 2 with every error and its key path when not. */
export function checkConfig(file: string): number {
  try {
    const cfg = loadConfig(file);
    const jobs = cfg.duts.reduce((n, d) => n + planRound(d, cfg.repetitions).length, 0);
    // scripts/serve.sh reads the DUT count from this line (0: it builds the lab): keep its form
    console.log(`${file}: valid (${cfg.duts.length} DUT(s), ${jobs} job(s) per round)`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return 2;
  }
}
