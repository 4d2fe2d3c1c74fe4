// The stub `tracer -- COMMAND` starts first: set up COMMAND's signals (and user), say "ready" on
// the control fd, wait for "go", exec COMMAND. No libc: raw syscalls, nothing touched but that.
//
// argv: SHIM CONTROL CANDIDATE... "" ARGV0 ARGV...
//   CONTROL   "FD IGN BLK UID GID" (decimal FD, hex signal sets bit N-1 = signal N, UID -1: keep)
//   CANDIDATE paths to execve in turn, as execvp tries PATH entries (usually one, resolved by the
//             tracer); ENOEXEC runs the file with /bin/sh, as execvp does
//   ARGV...   COMMAND's argv, byte for byte; the environment is the stub's own, passed on as is
// Protocol on FD (a socket): the stub writes 4 bytes, 0 = ready or (step << 16 | errno) for a
// failed setgroups/setgid/setuid (step 1, 2, 3), then reads 1 byte; end of file (the tracer is
// gone) exits 125 without running COMMAND. The tracer follows the stub's pid only after "ready":
// by then the stub's own exec is over, so only COMMAND's exec can be traced.

typedef unsigned long u64;

#if defined(__x86_64__)
enum { SYS_read = 0, SYS_write = 1, SYS_close = 3, SYS_rt_sigaction = 13, SYS_rt_sigprocmask = 14,
       SYS_execve = 59, SYS_exit = 60, SYS_setuid = 105, SYS_setgid = 106, SYS_setgroups = 116,
       SYS_prctl = 157 };
static long sys(long n, long a, long b, long c, long d) {
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return r;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call shim_main\n hlt\n");
#elif defined(__aarch64__)
enum { SYS_read = 63, SYS_write = 64, SYS_close = 57, SYS_rt_sigaction = 134, SYS_rt_sigprocmask = 135,
       SYS_execve = 221, SYS_exit = 93, SYS_setuid = 146, SYS_setgid = 144, SYS_setgroups = 159,
       SYS_prctl = 167 };
static long sys(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c, x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x0, sp\n bl shim_main\n");
#else
#error "command-shim: x86_64 or aarch64 only"
#endif

enum { ENOENT = 2, ENOEXEC = 8, EACCES = 13, ENOTDIR = 20 };
enum { PR_SET_NAME = 15 };

/* The kernel's struct sigaction for rt_sigaction (no restorer needed for SIG_DFL/SIG_IGN). */
struct ksigaction { u64 handler, flags, restorer, mask; };

static void die(int code) {
  for (;;) sys(SYS_exit, code, 0, 0, 0);
}

static long len(const char *s) {
  long n = 0;
  while (s[n]) n++;
  return n;
}

static void say(const char *s) {
  sys(SYS_write, 2, (long)s, len(s), 0);
}

/* Parse one space-separated number (base 10 or 16, optional '-') from *p. */
static long number(const char **p, int base) {
  const char *s = *p;
  int neg = 0;
  long v = 0;
  if (*s == '-') neg = 1, s++;
  for (;; s++) {
    int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
    if (d < 0 || d >= base) break;
    v = v * base + d;
  }
  while (*s == ' ') s++;
  *p = s;
  return neg ? -v : v;
}

__attribute__((used)) void shim_main(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1), **envp = argv + argc + 1;
  if (argc < 4) die(125);
  const char *c = argv[1];
  long fd = number(&c, 10);
  u64 ign = (u64)number(&c, 16), blk = (u64)number(&c, 16);
  long uid = number(&c, 10), gid = number(&c, 10);
  char **cand = argv + 2, **args = cand;
  while (*args && **args) args++;
  if (!*args || !args[1]) die(125);
  *args++ = 0; /* candidates end here; COMMAND's argv starts */

  int status = 0;
  if (uid >= 0) {
    long r = sys(SYS_setgroups, 0, 0, 0, 0);
    if (r == 0) r = sys(SYS_setgid, gid, 0, 0, 0), status = r ? 2 : 0;
    else status = 1;
    if (r == 0) r = sys(SYS_setuid, uid, 0, 0, 0), status = r ? 3 : 0;
    if (r) status = status << 16 | (int)-r;
  }
  /* Every catchable signal: ignored if COMMAND would have it ignored, else the default. */
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == 9 || sig == 19) continue;
    struct ksigaction a = { (ign >> (sig - 1)) & 1, 0, 0, 0 };
    sys(SYS_rt_sigaction, sig, (long)&a, 0, 8);
  }
  sys(SYS_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&blk, 0, 8);
  /* The stub's comm is its memfd's fd number ("43"): when no candidate can be exec'd, its failed
   * execs and its exit would show that. Named as COMMAND (the kernel keeps 15 bytes), as a shell's
   * child that could not exec it is named after the shell, the stub never shows. */
  const char *base = args[0];
  for (const char *q = args[0]; *q; q++)
    if (*q == '/' && q[1]) base = q + 1;
  sys(SYS_prctl, PR_SET_NAME, (long)base, 0, 0);

  if (sys(SYS_write, fd, (long)&status, 4, 0) != 4 || status) die(125);
  char go;
  if (sys(SYS_read, fd, (long)&go, 1, 0) != 1) die(125);
  sys(SYS_close, fd, 0, 0, 0);

  long err = ENOENT;
  for (char **p = cand; *p; p++) {
    long r = sys(SYS_execve, (long)*p, (long)args, (long)envp, 0);
    if (r == -ENOEXEC) {
      /* execvp: a file without #! runs with the shell */
      long n = 0;
      while (args[n]) n++;
      char *shArgv[n + 2];
      shArgv[0] = "/bin/sh", shArgv[1] = *p;
      for (long i = 1; i <= n; i++) shArgv[i + 1] = args[i];
      r = sys(SYS_execve, (long)"/bin/sh", (long)shArgv, (long)envp, 0);
    }
    if (r != -ENOENT && r != -ENOTDIR) err = -r;
  }
  say("tracer: ");
  say(args[0]);
  say(err == ENOENT ? ": command not found\n" : err == EACCES ? ": permission denied\n" : ": cannot execute\n");
  die(err == ENOENT ? 127 : 126);
}
