// Linked into the embedded libbpf, libelf and libz (scripts/build-libs.sh) so that they need no
// glibc symbol newer than the floor (src/session/glibc.ts). Each wrapper is hidden: the library's
// own calls bind to it at link time, and it calls the symbol version every glibc since the
// architecture's first one exports (the newer headers name a newer version). Left as is:
// fmemopen@GLIBC_2.22 (libbpf's kconfig parser; the older fmemopen behaves differently), which
// makes 2.22 the floor.
#if defined(__x86_64__)
#define BASE "GLIBC_2.2.5"
#define STAT_VER 1 /* _STAT_VER_LINUX */
#elif defined(__aarch64__)
#define BASE "GLIBC_2.17"
#define STAT_VER 0 /* _STAT_VER (generic) */
#else
#error "glibc-compat.c: unsupported architecture"
#endif
#define HIDDEN __attribute__((visibility("hidden")))

struct stat;

// fstat/fstat64 are symbols only since glibc 2.33; before, the headers inlined them as
// __fxstat(_STAT_VER, fd, buf), which 2.33 and later still export under their old version.
extern int fxstat_base(int ver, int fd, struct stat *buf);
__asm__(".symver fxstat_base, __fxstat@" BASE);
HIDDEN int fstat(int fd, struct stat *buf) { return fxstat_base(STAT_VER, fd, buf); }
HIDDEN int fstat64(int fd, struct stat *buf) { return fxstat_base(STAT_VER, fd, buf); }

// fcntl64 (2.28) is what the headers name with _FILE_OFFSET_BITS=64; on 64-bit it is the
// same function as the original fcntl. The third argument is an int or a pointer: pass a long.
extern int fcntl_base(int fd, int cmd, ...);
__asm__(".symver fcntl_base, fcntl@" BASE);
HIDDEN int fcntl64(int fd, int cmd, long arg) { return fcntl_base(fd, cmd, arg); }
