// What this edgebench is: the package version, and what `npm run build` recorded about the build
// (scripts/build-info.mjs writes dist/build-info.json beside this module).
import { readFileSync } from 'node:fs';

/** The package version, read from package.json beside src/ or dist/. */
export const version: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

export interface BuildInfo {
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
}

function readBuildInfo(): BuildInfo {
  let read: Record<string, unknown> = {};
  try {
    read = { ...JSON.parse(readFileSync(new URL('./build-info.json', import.meta.url), 'utf8')) };
  } catch {
    // run from src/, or built by tsc alone: nothing recorded
  }
  const field = (key: keyof BuildInfo) => {
    const value = read[key];
    return typeof value === 'string' && value !== '' ? value : 'unknown';
  };
  return { revision: field('revision'), branch: field('branch'), buildUser: field('buildUser'), buildDate: field('buildDate') };
}

export const buildInfo: BuildInfo = readBuildInfo();

/** Go's GOOS/GOARCH names, which Prometheus' binaries print, for Node's. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', mipsel: 'mipsle' };

export const platform = `${process.platform}/${GOARCH[process.arch] ?? process.arch}`;

/** `edgebench --version`, laid out as `prometheus --version` is (prometheus/common's version template). */
export function versionText(program = 'edgebench'): string {
  return [
    `${program}, version ${version} (branch: ${buildInfo.branch}, revision: ${buildInfo.revision})`,
    `  build user:       ${buildInfo.buildUser}`,
    `  build date:       ${buildInfo.buildDate}`,
    `  node version:     ${process.version}`,
    `  platform:         ${platform}`,
  ].join('\n');
}
