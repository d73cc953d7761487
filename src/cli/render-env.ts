// PURE. What `etcd-lab env` prints: a shell export line, a JSON object, or the multi-endpoint etcd:// URL.
import { LabError } from '../errors.js';
import type { ClusterPlan } from '../plan/types.js';
import { shellQuote } from '../plan/quote.js';

export const ENV_FORMATS = ['shell', 'json', 'etcd-url'] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** Client certificate files for TLS clusters (the seam for TLS: nothing fills it yet). */
export interface EnvTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EnvSource {
  /** Client URLs of the members, in member order. */
  endpoints: string[];
  tls: EnvTls | null;
}

/**
 * The client side of TLS in a plan: an optional `pki: { caFile, certFile, keyFile }` field. Plans without it
 * (all of them today) give null; a `pki` of another shape is ignored rather than guessed at.
 */
export function tlsOfPlan(plan: ClusterPlan & { pki?: unknown }): EnvTls | null {
  const pki = plan.pki as Partial<Record<keyof EnvTls, unknown>> | null | undefined;
  if (pki === null || typeof pki !== 'object') return null;
  const { caFile, certFile, keyFile } = pki;
  if (typeof caFile !== 'string' || typeof certFile !== 'string' || typeof keyFile !== 'string') return null;
  return { caFile, certFile, keyFile };
}

export function envSourceOf(plan: ClusterPlan): EnvSource {
  return { endpoints: plan.members.map((m) => m.clientURL), tls: tlsOfPlan(plan) };
}

/** The variables etcdctl reads, in the order they are printed. */
export function etcdctlVariables(src: EnvSource): [string, string][] {
  const vars: [string, string][] = [
    ['ETCDCTL_API', '3'],
    ['ETCDCTL_ENDPOINTS', src.endpoints.join(',')],
  ];
  if (src.tls) vars.push(['ETCDCTL_CACERT', src.tls.caFile], ['ETCDCTL_CERT', src.tls.certFile], ['ETCDCTL_KEY', src.tls.keyFile]);
  return vars;
}

/** `export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=...`: one line for `eval "$(etcd-lab env)"` in any POSIX sh. */
export function renderShellEnv(src: EnvSource): string {
  return `export ${etcdctlVariables(src).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')}\n`;
}

export function renderJsonEnv(src: EnvSource): string {
  const obj: Record<string, unknown> = Object.fromEntries(etcdctlVariables(src));
  obj.endpoints = src.endpoints;
  return `${JSON.stringify(obj, null, 2)}\n`;
}

/** host:port of a client URL, the port always written (IPv6 hosts keep their brackets). */
function hostPort(clientURL: string): string {
  let u: URL;
  try {
    u = new URL(clientURL);
  } catch {
    throw new LabError('INTERNAL', `the plan holds a client URL that is not a URL: ${clientURL}`);
  }
  const port = u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
  return `${u.hostname}:${port}`;
}

/** A keyspace path as the URL path: no leading or trailing slash, each segment percent-encoded. */
function keyspacePath(keyspace: string): string {
  return keyspace
    .split('/')
    .filter((s) => s !== '')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** `etcd://h1:p1,h2:p2,h3:p3/<keyspace>`, with `?certFile=&keyFile=&caFile=` under TLS. */
export function renderEtcdUrl(src: EnvSource, keyspace = ''): string {
  const query = src.tls
    ? `?${[
        ['certFile', src.tls.certFile],
        ['keyFile', src.tls.keyFile],
        ['caFile', src.tls.caFile],
      ]
        .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
        .join('&')}`
    : '';
  return `etcd://${src.endpoints.map(hostPort).join(',')}/${keyspacePath(keyspace)}${query}\n`;
}

export function renderEnv(src: EnvSource, format: EnvFormat, opts: { keyspace?: string } = {}): string {
  if (src.endpoints.length === 0) throw new LabError('INTERNAL', 'the plan has no members');
  switch (format) {
    case 'shell':
      return renderShellEnv(src);
    case 'json':
      return renderJsonEnv(src);
    case 'etcd-url':
      return renderEtcdUrl(src, opts.keyspace ?? '');
    default:
      throw new LabError('USAGE', `unknown --format "${String(format)}"`, { hint: `use one of ${ENV_FORMATS.join(', ')}` });
  }
}
