// Kernel boot-time stamps as wall-clock time: epoch ns without bigints (two uint32 halves), and
// their division into seconds and nanoseconds (format/json.ts writes RFC 3339 from those).
const TWO32 = 4294967296;

/** Boot-time → epoch offset, measured once at start (see ffi/libc.ts bootToEpochOffsetNs). */
export class EpochClock {
  readonly hi: number;
  readonly lo: number;
  constructor(readonly offsetNs: bigint) {
    if (offsetNs < 0n || offsetNs >= 1n << 63n) throw new RangeError(`boot-to-epoch offset ${offsetNs} out of range`);
    this.hi = Number(offsetNs >> 32n);
    this.lo = Number(offsetNs & 0xffffffffn);
  }
}

/** The last conversion's result: epoch ns as hi * 2^32 + lo. */
export const T = { hi: 0, lo: 0 };

/** Epoch ns of the boot-time stamp at dv[at] into T; false (T = 0) when the stamp is 0 (unknown). */
export function toEpoch(dv: DataView, at: number, c: EpochClock): boolean {
  const lo = dv.getUint32(at, true);
  const hi = dv.getUint32(at + 4, true);
  if (lo === 0 && hi === 0) {
    T.hi = 0;
    T.lo = 0;
    return false;
  }
  let l = lo + c.lo;
  let h = hi + c.hi;
  if (l >= TWO32) {
    l -= TWO32;
    h++;
  }
  T.hi = h;
  T.lo = l;
  return true;
}

/** T as a bigint. */
export function epochBig(): bigint {
  return (BigInt(T.hi) << 32n) | BigInt(T.lo);
}

/** (hi * 2^32 + lo) divided by d (< 2^31): quotient (exact: < 2^53 for d >= 2^11) and remainder. */
export const Q = { q: 0, r: 0 };
export function divmod(hi: number, lo: number, d: number): void {
  const q1 = Math.floor(hi / d);
  let r = hi - q1 * d;
  const x = r * 65536 + (lo >>> 16);
  const q2 = Math.floor(x / d);
  r = x - q2 * d;
  const y = r * 65536 + (lo & 0xffff);
  const q3 = Math.floor(y / d);
  Q.r = y - q3 * d;
  Q.q = q1 * TWO32 + q2 * 65536 + q3;
}

/** Go's zero time.Time, for a stamp that is 0 (unknown). */
export const ZERO_TIME = "0001-01-01T00:00:00Z";
