// Module types for files embedded with `import path from "…" with { type: "file" }`.
declare module "*.so.1" {
  const path: string;
  export default path;
}
declare module "*/command-shim" {
  const path: string;
  export default path;
}
declare module "*.bpf.o" {
  const path: string;
  export default path;
}
