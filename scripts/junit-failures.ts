// scripts/junit-failures.ts JUNIT.xml: one recap line per failed or skipped test case of a bun
// test junit report (file > suite > name, then the failure's first lines), for .ci/run to print
// just before its last line: CI shows only the tail of its output, which the kernel matrix fills.
const path = process.argv[2];
if (!path) {
  console.error("usage: junit-failures.ts JUNIT.xml");
  process.exit(2);
}
const xml = await Bun.file(path).text();

const unescapeXml = (s: string) =>
  s
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
const attr = (tag: string, name: string) => {
  const m = tag.match(new RegExp(`\\b${name}="([^"]*)"`));
  return m?.[1] !== undefined ? unescapeXml(m[1]) : "";
};

const MESSAGE_LINES = 6;
const caseRe = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
let count = 0;
for (const m of xml.matchAll(caseRe)) {
  const body = m[3] ?? "";
  const failure = body.match(/<failure\b([^>]*)>([\s\S]*?)<\/failure>|<failure\b([^>]*)\/>/);
  const skipped = /<skipped\b/.test(body);
  if (!failure && !skipped) continue;
  count++;
  const tag = m[1] ?? "";
  const where = [attr(tag, "file"), attr(tag, "classname"), attr(tag, "name")].filter(Boolean).join(" > ");
  console.log(`${failure ? "FAILED" : "SKIPPED"}: ${where}`);
  if (failure) {
    const text = unescapeXml(failure[2] ?? attr(failure[3] ?? "", "message"));
    for (const line of text
      .split("\n")
      .filter((l) => l.trim())
      .slice(0, MESSAGE_LINES)) {
      console.log(`    ${line.slice(0, 300)}`);
    }
  }
}
if (count === 0 && /\bfailures="[1-9]/.test(xml)) console.log("FAILED: (a failure the report names no test case for)");
