// Headless Chromium for the tests that look at a page (Debian's chromium, installed by
// scripts/build.sh): a fresh profile, no network beyond what the page asks of 127.0.0.1, driven
// over the DevTools protocol: load a page, collect its console errors and exceptions, evaluate,
// take a screenshot.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--hide-scrollbars",
];

export class Browser {
  private next = 0;
  private waiting = new Map<number, { ok: (v: any) => void; fail: (e: Error) => void }>();
  private listeners: ((method: string, params: any) => void)[] = [];
  /** Console errors, uncaught exceptions and error log entries of the page, as text. */
  readonly errors: string[] = [];

  private constructor(
    private readonly proc: Subprocess,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data));
      if (msg.id !== undefined) {
        const w = this.waiting.get(msg.id);
        this.waiting.delete(msg.id);
        if (msg.error) w?.fail(new Error(`${msg.error.message}`));
        else w?.ok(msg.result);
      } else for (const l of this.listeners) l(msg.method, msg.params);
    };
    this.listeners.push((method, p) => {
      if (method === "Runtime.exceptionThrown")
        this.errors.push(`exception: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`);
      if (method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert"))
        this.errors.push(`console.${p.type}: ${p.args.map((a: any) => a.value ?? a.description).join(" ")}`);
      if (method === "Log.entryAdded" && p.entry.level === "error")
        this.errors.push(`log: ${p.entry.text} ${p.entry.url ?? ""}`);
    });
  }

  static async start(width = 1200, height = 800): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), "tracer-chromium-"));
    const proc = Bun.spawn(
      [
        "chromium",
        ...FLAGS,
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    const reader = proc.stderr.getReader();
    let text = "";
    let port = "";
    while (!port) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`chromium ended before it listened: ${text}`);
      text += new TextDecoder().decode(value);
      port = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text)?.[1] ?? "";
    }
    void (async () => {
      // keep draining its stderr
      while (!(await reader.read()).done);
    })();
    const pages = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const ws = new WebSocket(pages.find((p) => p.type === "page")!.webSocketDebuggerUrl);
    await new Promise((ok, fail) => {
      ws.onopen = ok;
      ws.onerror = fail;
    });
    const b = new Browser(proc, ws, profile);
    await b.send("Runtime.enable");
    await b.send("Log.enable");
    await b.send("Page.enable");
    return b;
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.next;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((ok, fail) => this.waiting.set(id, { ok, fail }));
  }

  /** Navigate and wait for the load event. */
  async load(url: string): Promise<void> {
    const loaded = new Promise<void>((ok) => this.listeners.push((m) => m === "Page.loadEventFired" && ok()));
    const r = await this.send("Page.navigate", { url });
    if (r.errorText) throw new Error(`${url}: ${r.errorText}`);
    await loaded;
  }

  /** The value of an expression in the page (promises awaited). */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails)
      throw new Error(`${expression}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Wait until the expression is truthy (checked every 50 ms; an absent state fails after `ms`). */
  async until(expression: string, ms = 120_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await this.evaluate(expression))) {
      if (Date.now() > end) throw new Error(`never true: ${expression}`);
      await Bun.sleep(50);
    }
  }

  /** A PNG of the viewport, or of the element `selector` picks. */
  async screenshot(selector?: string): Promise<Buffer> {
    let clip: { x: number; y: number; width: number; height: number; scale: number } | undefined;
    if (selector) {
      const r = await this.evaluate<{ x: number; y: number; width: number; height: number }>(
        `(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return { x: r.x + scrollX, y: r.y + scrollY, width: Math.ceil(r.width), height: Math.ceil(r.height) }; })()`,
      );
      clip = { ...r, scale: 1 };
    }
    const shot = await this.send("Page.captureScreenshot", {
      format: "png",
      ...(clip ? { clip, captureBeyondViewport: true } : {}),
    });
    return Buffer.from(shot.data, "base64");
  }

  async close(): Promise<void> {
    this.ws.close();
    this.proc.kill("SIGTERM");
    await this.proc.exited;
    rmSync(this.profile, { recursive: true, force: true });
  }
}
