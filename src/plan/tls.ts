// PURE. TLS in a plan: where the certificates live (<dir>/pki), what the member certificates cover, and the etcd
// flags that use them. The files themselves are made by supervisor/pki.ts.
import { posix } from 'node:path';

export interface TlsPlan {
  /** `<dir>/pki`: the CA, the client certificate, and one folder per member. */
  dir: string;
  caFile: string;
  caKeyFile: string;
  /** The client certificate for etcdctl and etcd-lab itself (the member ports require one). */
  certFile: string;
  keyFile: string;
  /** subjectAltName entries of every member certificate, in openssl's spelling (`IP:127.0.0.1`, `DNS:localhost`). */
  sans: string[];
}

export interface MemberTlsFiles {
  /** Served on the client port. */
  certFile: string;
  keyFile: string;
  /** Served on the peer port and presented as the client certificate to other members. */
  peerCertFile: string;
  peerKeyFile: string;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * What every member certificate must cover: 127.0.0.1 and localhost, `localhost.` (CHAOS_PEER_HOST: chaos mode
 * advertises peers on it), and the --host members listen on.
 */
export function memberSans(host: string): string[] {
  const sans = ['IP:127.0.0.1', 'DNS:localhost', 'DNS:localhost.'];
  const own = IPV4.test(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`;
  if (!sans.includes(own)) sans.push(own);
  return sans;
}

export function tlsPlanOf(dir: string, host: string): TlsPlan {
  const pki = posix.join(dir, 'pki');
  return {
    dir: pki,
    caFile: posix.join(pki, 'ca.crt'),
    caKeyFile: posix.join(pki, 'ca.key'),
    certFile: posix.join(pki, 'client.crt'),
    keyFile: posix.join(pki, 'client.key'),
    sans: memberSans(host),
  };
}

/** A member's certificate files, in its own folder (so no member name can collide with ca.* or client.*). */
export function memberTlsFiles(tls: TlsPlan, member: string): MemberTlsFiles {
  const d = posix.join(tls.dir, member);
  return {
    certFile: posix.join(d, 'server.crt'),
    keyFile: posix.join(d, 'server.key'),
    peerCertFile: posix.join(d, 'peer.crt'),
    peerKeyFile: posix.join(d, 'peer.key'),
  };
}

/** etcd flags for a member of a TLS cluster: HTTPS on both ports, and a certificate from our CA required on both. */
export function tlsArgs(tls: TlsPlan, member: string): string[] {
  const f = memberTlsFiles(tls, member);
  return [
    '--cert-file', f.certFile,
    '--key-file', f.keyFile,
    '--trusted-ca-file', tls.caFile,
    '--client-cert-auth',
    '--peer-cert-file', f.peerCertFile,
    '--peer-key-file', f.peerKeyFile,
    '--peer-trusted-ca-file', tls.caFile,
    '--peer-client-cert-auth',
  ];
}

/** The same certificates under another folder (e.g. made locally for hosts that keep them in /etc/etcd/pki). */
export function rebaseTls(tls: TlsPlan, dir: string): TlsPlan {
  const at = (file: string) => posix.join(dir, posix.relative(tls.dir, file));
  return { dir, caFile: at(tls.caFile), caKeyFile: at(tls.caKeyFile), certFile: at(tls.certFile), keyFile: at(tls.keyFile), sans: tls.sans };
}
