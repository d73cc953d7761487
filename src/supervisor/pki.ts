// The certificates of a TLS cluster, made with the openssl CLI: a CA, per member a server and a peer certificate,
// and one client certificate for etcdctl and etcd-lab. Made once in <dir>/pki and reused on every later `up`.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { EXIT, LabError } from '../errors.js';
import type { EtcdTlsOptions } from '../etcd/client.js';
import { runCapture } from '../etcd/run-capture.js';
import { shellQuote } from '../plan/quote.js';
import type { HostsPlan } from '../plan/hosts.js';
import { memberTlsFiles, rebaseTls, type TlsPlan } from '../plan/tls.js';
import type { ClusterPlan } from '../plan/types.js';

const OPENSSL_TIMEOUT_MS = 15_000;
const DAYS = '3650';

/** The client side of a TLS cluster as files (absolute): what etcdctl's --cacert/--cert/--key take. */
export interface ClientTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export function clientTlsFiles(plan: ClusterPlan): ClientTlsFiles | null {
  if (!plan.tls) return null;
  return { caFile: resolve(plan.tls.caFile), certFile: resolve(plan.tls.certFile), keyFile: resolve(plan.tls.keyFile) };
}

/**
 * What an EtcdClient (or `EtcdClient.peerVersion`) needs to talk to the members of `plan`: undefined without TLS,
 * else the CA and the client certificate, read from <dir>/pki. Every caller that talks to members goes through here.
 */
export function clientTlsFor(plan: ClusterPlan): EtcdTlsOptions | undefined {
  const files = clientTlsFiles(plan);
  if (!files) return undefined;
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new LabError('TLS', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; the cluster in ${plan.dir} uses TLS`, {
        hint: `\`etcd-lab up --dir ${shellQuote(plan.dir)}\` makes missing certificates again`,
      });
    }
  };
  return { ca: read(files.caFile), cert: read(files.certFile), key: read(files.keyFile) };
}

function config(sans: string[]): string {
  return [
    '[req]',
    'distinguished_name = dn',
    '[dn]',
    '[ca]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    '[member]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    // clientAuth too: a peer certificate is also the member's client certificate towards other members, and with
    // --client-cert-auth etcd's own gRPC gateway presents the server certificate to the member's client port.
    'extendedKeyUsage = serverAuth, clientAuth',
    `subjectAltName = ${sans.join(', ')}`,
    '[client]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    'extendedKeyUsage = clientAuth',
    '',
  ].join('\n');
}

/** openssl runs at most this many at once: more only contend for the CPU. */
const PARALLEL = Math.max(2, availableParallelism());
let running = 0;
const queued: (() => void)[] = [];

async function openssl(args: string[], step: string): Promise<void> {
  // A finished run hands its slot straight to the next one waiting.
  if (running >= PARALLEL) await new Promise<void>((r) => queued.push(r));
  else running++;
  try {
    await runOpenssl(args, step);
  } finally {
    const next = queued.shift();
    if (next) next();
    else running--;
  }
}

async function runOpenssl(args: string[], step: string): Promise<void> {
  const r = await runCapture('openssl', args, process.env, OPENSSL_TIMEOUT_MS, null, { group: false });
  if (!r.error && !r.timedOut && r.code === 0) return;
  if ((r.error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
    throw new LabError('TLS', '--tls needs the openssl command to make the certificates, and it is not on PATH', {
      hint: 'install it (Debian/Ubuntu: sudo apt-get install openssl; macOS: it ships with the system, or brew install openssl), or run without --tls',
      exitCode: EXIT.failure,
    });
  }
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const why = r.timedOut ? `no answer within ${OPENSSL_TIMEOUT_MS} ms` : (lines[0] ?? r.error?.message ?? `exit code ${r.code}`);
  throw new LabError('TLS', `openssl could not ${step}: ${why}`, { details: [`openssl ${args.join(' ')}`, ...lines.slice(0, 8)] });
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return `0x${b.toString('hex')}`;
}

/** `openssl req` arguments that make a new P-256 key into `file` (unencrypted) along with the request. */
function newKeyArgs(file: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file];
}

/** A key and a certificate signed by the CA in `ca`, with the extensions of `section` of the config. */
async function signed(cnf: string, ca: { cert: string; key: string }, out: { cert: string; key: string }, cn: string, section: string): Promise<void> {
  mkdirSync(dirname(out.cert), { recursive: true, mode: 0o700 });
  const csr = `${out.cert}.csr`;
  await openssl(['req', '-new', ...newKeyArgs(out.key), '-subj', `/CN=${cn}`, '-config', cnf, '-out', csr], `make the key and request for ${cn}`);
  chmodSync(out.key, 0o600);
  await openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial(), '-days', DAYS, '-sha256', '-extfile', cnf, '-extensions', section, '-out', out.cert],
    `sign the certificate of ${cn}`,
  );
  rmSync(csr, { force: true });
}

/** Waits for all (none still writes into the temporary folder when it is removed), then throws the first failure. */
async function settled(work: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function allExist(...files: string[]): boolean {
  return files.every((f) => existsSync(f));
}

export interface PkiResult {
  /** What was made now: "CA", "client", member names. Empty when everything was there. */
  made: string[];
  dir: string;
}

/** A set of certificates to make: where (the TLS plan), the CA's name, and each member with its own SANs. */
export interface PkiSet {
  tls: TlsPlan;
  token: string;
  /** Each member's subjectAltName entries (openssl spelling): the plan's common `tls.sans` on one machine, the host's own on hosts. */
  members: { name: string; sans: string[] }[];
}

/**
 * Makes what is missing of the plan's certificates: all of them (a new CA) when the CA or the client certificate is
 * missing, else only the members that have none (e.g. a member added later). Each set is made in a temporary folder
 * and renamed into place, so a crash leaves either nothing or a whole set. Keys are 0600, folders 0700.
 */
export async function ensurePki(plan: ClusterPlan): Promise<PkiResult> {
  const tls = plan.tls;
  if (!tls) return { made: [], dir: '' };
  return ensurePkiSet({ tls, token: plan.token, members: plan.members.map((m) => ({ name: m.name, sans: tls.sans })) });
}

/** The certificates of a multi-host plan made under `localDir` (its files then go to each host's `plan.tls.dir`). */
export async function ensureHostsPki(plan: HostsPlan, localDir: string): Promise<PkiResult> {
  if (!plan.tls) return { made: [], dir: '' };
  return ensurePkiSet({ tls: rebaseTls(plan.tls, localDir), token: plan.token, members: plan.members.map((m) => ({ name: m.name, sans: m.sans })) });
}

/** ensurePki for any set: members may each have their own SANs (one certificate per host). */
export async function ensurePkiSet(set: PkiSet): Promise<PkiResult> {
  const { tls } = set;
  const sansOf = new Map(set.members.map((m) => [m.name, m.sans]));
  const root = resolve(tls.dir);
  /** Where a file of the plan's pki folder lies under `base` (the folder itself, or a temporary one). */
  const at = (file: string, base: string): string => join(base, relative(root, resolve(file)));
  const memberFiles = (name: string, base: string) => {
    const f = memberTlsFiles(tls, name);
    return { certFile: at(f.certFile, base), keyFile: at(f.keyFile, base), peerCertFile: at(f.peerCertFile, base), peerKeyFile: at(f.peerKeyFile, base) };
  };
  const memberComplete = (name: string): boolean => {
    const f = memberFiles(name, root);
    return allExist(f.certFile, f.keyFile, f.peerCertFile, f.peerKeyFile);
  };
  const makeMember = async (name: string, base: string, baseCnf: string, ca: { cert: string; key: string }): Promise<void> => {
    const f = memberFiles(name, base);
    const sans = sansOf.get(name) ?? tls.sans;
    let cnf = baseCnf;
    if (sans.join(',') !== tls.sans.join(',')) {
      cnf = join(dirname(baseCnf), `openssl-${name}.cnf`);
      writeFileSync(cnf, config(sans));
    }
    await settled([
      signed(cnf, ca, { cert: f.certFile, key: f.keyFile }, name, 'member'),
      signed(cnf, ca, { cert: f.peerCertFile, key: f.peerKeyFile }, name, 'member'),
    ]);
    if (cnf !== baseCnf) rmSync(cnf, { force: true });
  };

  mkdirSync(dirname(root), { recursive: true });
  const rootComplete = allExist(...[tls.caFile, tls.caKeyFile, tls.certFile, tls.keyFile].map((f) => at(f, root)));
  const names = set.members.map((m) => m.name);
  const missing = rootComplete ? names.filter((n) => !memberComplete(n)) : names;
  if (rootComplete && missing.length === 0) return { made: [], dir: root };

  const work = rootComplete ? join(root, `.tmp-${randomBytes(4).toString('hex')}`) : `${root}.tmp-${randomBytes(4).toString('hex')}`;
  mkdirSync(work, { recursive: true, mode: 0o700 });
  const cnf = join(work, 'openssl.cnf');
  writeFileSync(cnf, config(tls.sans));
  try {
    if (!rootComplete) {
      const ca = { cert: at(tls.caFile, work), key: at(tls.caKeyFile, work) };
      await openssl(
        ['req', '-x509', '-new', ...newKeyArgs(ca.key), '-subj', `/CN=etcd-lab CA ${set.token.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40)}`, '-days', DAYS, '-sha256', '-config', cnf, '-extensions', 'ca', '-out', ca.cert],
        'make the CA',
      );
      chmodSync(ca.key, 0o600);
      await settled([
        signed(cnf, ca, { cert: at(tls.certFile, work), key: at(tls.keyFile, work) }, 'etcd-lab client', 'client'),
        ...missing.map((name) => makeMember(name, work, cnf, ca)),
      ]);
      rmSync(cnf, { force: true });
      rmSync(root, { recursive: true, force: true });
      renameSync(work, root);
      chmodSync(root, 0o700);
      return { made: ['CA', 'client', ...missing], dir: root };
    }
    const ca = { cert: at(tls.caFile, root), key: at(tls.caKeyFile, root) };
    await settled(missing.map((name) => makeMember(name, work, cnf, ca)));
    for (const name of missing) {
      const made = dirname(memberFiles(name, work).certFile);
      const dest = dirname(memberFiles(name, root).certFile);
      rmSync(dest, { recursive: true, force: true });
      renameSync(made, dest);
    }
    return { made: missing, dir: root };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
