// PURE. etcd versions: what `etcd --version` prints, what the user passes as --etcd-version, ordering.
import { LabError } from '../errors.js';
import type { EtcdVersion } from '../plan/types.js';

export const MIN_SUPPORTED: EtcdVersion = { major: 3, minor: 4, patch: 0, text: '3.4.0' };

/** A user-given version; `exact` is false for "3.5" (any 3.5.x), in which case `patch` is 0. */
export interface VersionArg extends EtcdVersion {
  exact: boolean;
}

// 3.4, 3.5 and 3.6 all start with "etcd Version: X.Y.Z"; etcdctl prints "etcdctl version:", which must not match.
const VERSION_LINE = /^etcd\s+version:\s*v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?\s*$/im;

/**
 * Reads the version from `etcd --version` output. Throws NOT_ETCD (quoting what was printed) when the
 * text is not etcd's. `where` names the binary in the message.
 */
export function parseEtcdVersionOutput(text: string, where = 'the binary'): EtcdVersion {
  const m = VERSION_LINE.exec(text);
  if (!m) {
    throw new LabError('NOT_ETCD', `${where} does not look like etcd: \`--version\` printed ${quoteOutput(text)}`, {
      hint: 'Point --etcd (or ETCD_BIN) at the etcd server binary, not etcdctl or a wrapper script.',
    });
  }
  const [, major, minor, patch, pre = ''] = m;
  return { major: Number(major), minor: Number(minor), patch: Number(patch), text: `${major}.${minor}.${patch}${pre}` };
}

/** Parses `--etcd-version` input: "3.5", "3.5.30" or "v3.5.30". Throws BAD_VERSION for anything else or < 3.4. */
export function parseVersionArg(input: string): VersionArg {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(input.trim());
  if (!m) {
    throw new LabError('BAD_VERSION', `--etcd-version "${input}" is not a version`, {
      hint: 'Write MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 3.5 or 3.5.21.',
    });
  }
  const [, major, minor, patch] = m;
  const exact = patch !== undefined;
  const v: VersionArg = {
    major: Number(major),
    minor: Number(minor),
    patch: exact ? Number(patch) : 0,
    text: exact ? `${Number(major)}.${Number(minor)}.${Number(patch)}` : `${Number(major)}.${Number(minor)}`,
    exact,
  };
  if (compareVersions(v, MIN_SUPPORTED) < 0) {
    throw new LabError('BAD_VERSION', `--etcd-version ${v.text} is older than ${MIN_SUPPORTED.text}`, {
      hint: `etcd-lab supports etcd ${MIN_SUPPORTED.major}.${MIN_SUPPORTED.minor} and newer.`,
    });
  }
  return v;
}

/** Orders by major, minor, patch; a pre-release ("3.6.0-rc.1") sorts before its release. */
export function compareVersions(a: EtcdVersion, b: EtcdVersion): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0) return Math.sign(d);
  const pa = a.text.includes('-');
  const pb = b.text.includes('-');
  return pa === pb ? 0 : pa ? -1 : 1;
}

export function isSupported(v: EtcdVersion): boolean {
  return compareVersions(v, MIN_SUPPORTED) >= 0;
}

export function etcdTooOld(v: EtcdVersion, where: string): LabError {
  return new LabError('ETCD_TOO_OLD', `${where} is etcd ${v.text}; etcd-lab needs ${MIN_SUPPORTED.text} or newer`, {
    hint:
      'Install a newer etcd (Debian/Ubuntu: apt-get install etcd-server; macOS: brew install etcd), ' +
      'or let etcd-lab download one by removing --etcd/ETCD_BIN.',
  });
}

export function assertSupported(v: EtcdVersion, where: string): void {
  if (!isSupported(v)) throw etcdTooOld(v, where);
}

function quoteOutput(text: string): string {
  const t = text.trim();
  if (t === '') return 'nothing';
  const lines = t.split(/\r?\n/).slice(0, 3).join(' | ');
  return JSON.stringify(lines.length > 200 ? `${lines.slice(0, 200)}…` : lines);
}
