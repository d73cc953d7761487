// A single write to one member, as the fault tests use it: did it succeed within its time bound?
import { EtcdClient } from '../../src/etcd/client.js';

/** True when `PUT key=v` on the member at `url` succeeds within `timeoutMs`. */
export async function putSucceeds(url: string, key: string, timeoutMs = 1500): Promise<boolean> {
  const c = new EtcdClient(url, { timeoutMs });
  try {
    await c.put(key, 'v');
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
}
