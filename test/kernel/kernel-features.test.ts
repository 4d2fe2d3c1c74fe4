// The kernel probe that picks the BPF object variant, checked against independent answers about
// the running kernel: bpftool's own helper probes, the kernel's BTF as bpftool dumps it, and the
// release (atomic fetch-add exists from 5.12).
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { probeKernel } from "../../src/load/kernel-features";

const BPFTOOL = Bun.which("bpftool") ?? "/usr/sbin/bpftool";

function run(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

describe("probeKernel", () => {
  const k = probeKernel();
  let dumped = "";
  /** The kernel's BTF as bpftool prints it (once: it takes seconds). */
  const btfDump = () => (dumped ||= run([BPFTOOL, "btf", "dump", "file", "/sys/kernel/btf/vmlinux"]));

  test("the default object's helpers: as bpftool's probes for tracepoint programs say", () => {
    const probe = JSON.parse(run([BPFTOOL, "feature", "probe", "kernel", "-j"])) as {
      helpers: Record<string, string[]>;
    };
    const have = new Set(probe.helpers.tracepoint_available_helpers);
    const wanted = ["bpf_get_current_task_btf", "bpf_task_pt_regs", "bpf_find_vma", "bpf_loop"];
    const [major, minor] = release().split(".").map(Number) as [number, number];
    const atomics = major > 5 || (major === 5 && minor >= 12);
    const missing = wanted.filter((h) => !have.has(h));
    expect(k.missing.filter((m) => !m.startsWith("atomic"))).toEqual(missing.map((h) => expect.stringContaining(h)));
    expect(k.missing.some((m) => m.startsWith("atomic"))).toBe(!atomics);
    expect(k.modern).toBe(missing.length === 0 && atomics);
    expect(k.release).toBe(release());
  });

  test("group_dead: as the BTF prototype of sched_process_exit's tracepoint has it", () => {
    const dump = btfDump();
    // [ID] TYPEDEF 'btf_trace_sched_process_exit' type_id=P  →  [P] PTR → [F] FUNC_PROTO ... vlen=N
    const id = (re: RegExp) => Number(re.exec(dump)?.[1]);
    const ptr = id(/TYPEDEF 'btf_trace_sched_process_exit' type_id=(\d+)/);
    const proto = id(new RegExp(`^\\[${ptr}\\] PTR '\\(anon\\)' type_id=(\\d+)`, "m"));
    const vlen = id(new RegExp(`^\\[${proto}\\] FUNC_PROTO .* vlen=(\\d+)`, "m"));
    expect(vlen).toBeGreaterThanOrEqual(2); // (ctx, task[, group_dead])
    expect(k.exitGroupDead).toBe(vlen >= 3);
  });

  test("bpf_prog_info's recursion_misses: where <linux/bpf.h> puts it (gcc's offsetof) and the kernel's BTF has it (bpftool)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tracer-uapi-"));
    try {
      writeFileSync(
        join(dir, "o.c"),
        '#include <stddef.h>\n#include <stdio.h>\n#include <linux/bpf.h>\nint main(void) { printf("%zu %zu\\n", offsetof(struct bpf_prog_info, recursion_misses), sizeof(struct bpf_prog_info)); return 0; }\n',
      );
      run(["gcc", "-o", join(dir, "o"), join(dir, "o.c")]);
      const [offset, headerSize] = run([join(dir, "o")])
        .trim()
        .split(" ")
        .map(Number) as [number, number];
      const dump = btfDump();
      const struct = /^\[\d+\] STRUCT 'bpf_prog_info' size=(\d+) vlen=\d+\n((?:\t.*\n)+)/m.exec(dump);
      expect(struct).not.toBeNull();
      const member = /'recursion_misses' type_id=\d+ bits_offset=(\d+)/.exec(struct![2]!);
      if (member === null) {
        expect(k.progInfo).toBeNull(); // before 5.12
        return;
      }
      expect(Number(member[1])).toBe(offset * 8);
      // asked for as far as the field; the kernel's own struct is at least that long
      expect(k.progInfo).toEqual({ size: offset + 8, recursionMisses: offset });
      expect(Number(struct![1])).toBeGreaterThanOrEqual(k.progInfo!.size);
      expect(headerSize).toBeGreaterThanOrEqual(k.progInfo!.size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
