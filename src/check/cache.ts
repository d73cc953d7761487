// PURE. The search's memory of visited configurations: (which operations are linearized, state) pairs.
// Flat typed arrays with chaining by hash: looking a configuration up allocates nothing.
//
// A configuration is also covered by one with the same state, the same operations of known outcome linearized,
// and a subset of its unknown-outcome operations: an unknown operation may never take effect, so whatever can
// follow the larger one can follow the smaller one. The hash covers only the known operations and the state, so
// such configurations meet in one chain.

export class ConfigCache {
  /** 32-bit words per bitset. */
  private readonly words: number;
  private heads: Int32Array;
  private mask: number;
  private next = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private states = new Int32Array(1024);
  private bits: Uint32Array;
  size = 0;

  /** Bit i set: operation i has a known outcome. */
  private readonly knownMask: Uint32Array;

  constructor(words: number, knownMask: Uint32Array) {
    this.words = words;
    this.knownMask = knownMask;
    this.heads = new Int32Array(1024).fill(-1);
    this.mask = 1023;
    this.bits = new Uint32Array(1024 * words);
  }

  /** Bytes held, for the memory limit. */
  get bytes(): number {
    return this.bits.byteLength + this.next.byteLength * 3 + this.heads.byteLength;
  }

  /**
   * Adds (`set` with bit `bit` also set (none when -1), `state`) unless it or a configuration that covers it is
   * there already; returns whether it was added. `hash` must be a hash of the state and the known operations.
   */
  addWith(set: Uint32Array, bit: number, state: number, hash: number): boolean {
    const w = this.words;
    const bw = bit >>> 5;
    const bm = 1 << (bit & 31);
    for (let e = this.heads[hash & this.mask]!; e !== -1; e = this.next[e]!) {
      if (this.hashes[e] !== hash || this.states[e] !== state) continue;
      const base = e * w;
      let covered = true;
      for (let i = 0; i < w; i++) {
        const cur = i === bw ? set[i]! | bm : set[i]!;
        const had = this.bits[base + i]!;
        // same known operations, and no unknown one that `cur` lacks
        if (((had ^ cur) & this.knownMask[i]!) !== 0 || (had & ~cur) !== 0) {
          covered = false;
          break;
        }
      }
      if (covered) return false;
    }
    if (this.size === this.next.length) this.grow();
    const e = this.size++;
    const base = e * w;
    for (let i = 0; i < w; i++) this.bits[base + i] = set[i]!;
    if (bit >= 0) this.bits[base + bw] = (this.bits[base + bw]! | bm) >>> 0;
    this.hashes[e] = hash;
    this.states[e] = state;
    const slot = hash & this.mask;
    this.next[e] = this.heads[slot]!;
    this.heads[slot] = e;
    if (this.size > this.heads.length) this.rehash();
    return true;
  }

  private grow(): void {
    const n = this.next.length * 2;
    const resize = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.next = resize(this.next);
    this.hashes = resize(this.hashes);
    this.states = resize(this.states);
    const bits = new Uint32Array(n * this.words);
    bits.set(this.bits);
    this.bits = bits;
  }

  private rehash(): void {
    const n = this.heads.length * 4;
    this.heads = new Int32Array(n).fill(-1);
    this.mask = n - 1;
    for (let e = 0; e < this.size; e++) {
      const slot = this.hashes[e]! & this.mask;
      this.next[e] = this.heads[slot]!;
      this.heads[slot] = e;
    }
  }
}
