// The trace engine's Node helper ships without types: the one function the tests call.
declare module "@paulirish/trace_engine/analyze-trace.mjs" {
  /** DevTools code expects a browser's DOMRect. */
  export function polyfillDOMRect(): void;
}
