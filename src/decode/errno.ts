// errno numbers → symbolic names (x86_64/generic Linux), for process_execute_failed's "error".
const NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
  9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK",
  16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL",
  23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE",
  30: "EROFS", 31: "EMLINK", 32: "EPIPE", 36: "ENAMETOOLONG", 38: "ENOSYS", 40: "ELOOP",
  61: "ENODATA", 75: "EOVERFLOW", 79: "ELIBACC", 80: "ELIBBAD", 95: "EOPNOTSUPP", 110: "ETIMEDOUT",
  122: "EDQUOT", 125: "ECANCELED", 126: "ENOKEY",
};

export function errnoName(e: number): string {
  return NAMES[e] ?? `E${e}`;
}
