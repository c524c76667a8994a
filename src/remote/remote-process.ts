// Remote process control without the DUT's help: OpenWrt's busybox has no `timeout`, and may lack
// setsid and pkill. Every command runs with a unique EDGEBENCH_JOB in its environment, which all
// its descendants inherit (lxc-attach keeps it too); killing a job means killing every process,
// native or in a container, whose initial environment carries that marker.
import { randomBytes } from 'node:crypto';
import { shellQuote } from './shell-quote.js';

export function newJobId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Runs `command` under sh with the job marker in the environment of every process. The login shell
 * (busybox ash on OpenWrt, bash elsewhere) exports the marker itself: no `env` process, one exec
 * fewer per command.
 */
export function markedCommand(jobId: string, command: string): string {
  return `export EDGEBENCH_JOB=${jobId}; exec sh -c ${shellQuote(command)}`;
}

/**
 * A busybox-sh script that SIGKILLs every process of the given jobs and prints how many it killed.
 * It scans again while it finds any, so a child forked during a scan does not survive. Keep the
 * batch small: dropbear refuses commands longer than 9000 bytes (MAX_CMD_LEN), about 250 markers.
 */
export function killScript(...jobIds: [string, ...string[]]): string {
  const patterns = jobIds.map((id) => `-e EDGEBENCH_JOB=${shellQuote(id)}`).join(' ');
  return [
    // `grep -z` (busybox >= 1.24, GNU) reads every environment in one process, each NUL-ended
    // variable a line for -x; otherwise two forks per process on the DUT (200+ ms a scan)
    `if printf 'a\\0' | grep -qzx a 2>/dev/null; then`,
    `  scan() { grep -lzx ${patterns} /proc/[0-9]*/environ 2>/dev/null; }`,
    'else',
    `  scan() { for p in /proc/[0-9]*; do tr '\\0' '\\n' 2>/dev/null <"$p/environ" | grep -qx ${patterns} && echo "$p/environ"; done; }`,
    'fi',
    'n=0; pass=0',
    'while [ "$pass" -lt 5 ]; do',
    '  found=0',
    '  for f in $(scan); do',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    '    p=${f#/proc/}; kill -9 "${p%/environ}" 2>/dev/null && found=$((found+1))',
    '  done',
    '  [ "$found" -eq 0 ] && break',
    '  n=$((n+found)); pass=$((pass+1))',
    'done',
    'echo "$n"',
  ].join('\n');
}
