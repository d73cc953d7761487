// One status question to one member, for a status table: the answer, or null when the member does not answer.
import type { EtcdClient, EtcdStatus } from './client.js';

/** Asks `client` for its status, then closes it; null on any failure (down, slow, refused). */
export async function statusOrNull(client: EtcdClient): Promise<EtcdStatus | null> {
  try {
    return await client.status();
  } catch {
    return null;
  } finally {
    client.close();
  }
}
