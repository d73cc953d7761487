/** What an export produces: files (relative paths) and their text. Writing them is the CLI's job. */
export interface ExportFile {
  path: string;
  text: string;
}

export interface ExportOptions {
  /** etcd on the target hosts (systemd). */
  etcdPath: string;
  /** etcd-lab's version, for the header. */
  generator: string;
}

/** The official etcd image of a version (the etcd release notes publish both registries). */
export function etcdImage(version: string, registry: 'gcr' | 'quay' = 'gcr'): string {
  return registry === 'gcr' ? `gcr.io/etcd-development/etcd:v${version}` : `quay.io/coreos/etcd:v${version}`;
}

/** Where etcd and etcdctl lie in the official image. */
export const IMAGE_BIN = '/usr/local/bin';
