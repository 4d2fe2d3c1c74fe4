// Make a compiled ./tracer deaf to Bun's runtime variables that run code: BUN_OPTIONS (--preload),
// BUN_INSPECT* (inspector, preload) and BUN_BE_BUN (the binary acts as the bun CLI).
//
// The runtime reads them before any of our code runs, and `bun build --compile` has no switch to
// stop it, so a root shell with BUN_OPTIONS=--preload in its environment would run that file
// inside the tracer. The runtime looks each name up as a string in its own image: the first byte
// of every copy becomes NUL, a name no environment entry can have (entries are C strings). The
// build fails if a name is missing (a Bun upgrade moved it: check again).
const file = process.argv[2];
if (!file) throw new Error("usage: seal-runtime-env.ts EXECUTABLE");
const image = Buffer.from(await Bun.file(file).arrayBuffer());
for (const name of ["BUN_OPTIONS", "BUN_INSPECT", "BUN_BE_BUN"]) {
  const needle = Buffer.from(name);
  let n = 0;
  for (let i = image.indexOf(needle); i >= 0; i = image.indexOf(needle, i + 1)) {
    image[i] = 0;
    n++;
  }
  if (n === 0) throw new Error(`seal-runtime-env: ${name} not found in ${file}: Bun reads it some other way now`);
}
await Bun.write(file, image);
