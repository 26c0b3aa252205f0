// Prints the size of every build/*.wasm, raw and gzipped (level 9), as the rows of the
// README's size table: `npm run sizes` after `npm run build`.
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const dir = new URL("../build/", import.meta.url);
const fmt = (n) => n.toLocaleString("en-US");
console.log("| file | raw | gzip -9 |\n|---|---|---|");
for (const f of readdirSync(dir).filter((f) => f.endsWith(".wasm") && f !== "debug.wasm").sort()) {
  const bytes = readFileSync(new URL(f, dir));
  console.log(`| \`${f}\` | ${fmt(bytes.length)} B | ${fmt(gzipSync(bytes, { level: 9 }).length)} B |`);
}
