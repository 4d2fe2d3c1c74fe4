// The oldest glibc tracer runs on, and the line that says so. The build checks every embedded
// library (and Bun's runtime) against GLIBC_FLOOR (scripts/check-glibc.ts); src/main.ts checks
// the running glibc against it first thing (./glibc-check.ts).

/**
 * Measured: the newest symbol version anything in ./tracer needs is fmemopen@GLIBC_2.22 (libbpf);
 * Bun's runtime needs 2.17, our FFI symbols 2.17 (docs/kernels.md).
 */
export const GLIBC_FLOOR = "2.22";

/** Compare dotted versions numerically ("2.9" < "2.17"): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The one line for a glibc below the floor, or undefined when `found` is new enough. */
export function glibcRefusal(found: string): string | undefined {
  const version = /^\d+\.\d+/.exec(found)?.[0];
  if (version === undefined || compareVersions(version, GLIBC_FLOOR) >= 0) return undefined; // unknown: let it try
  return `glibc ${found} found, ${GLIBC_FLOOR} or later needed: run tracer on a newer distribution (RHEL 8, Amazon Linux 2, Ubuntu 18.04, Debian 10 or later)`;
}
