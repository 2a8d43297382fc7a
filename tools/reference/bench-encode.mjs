// Encode throughput of @huggingface/tokenizers, for the C# benchmark to compare against in the same run.
// Usage: node bench-encode.mjs <tokenizer folder> <texts.json> <repeats>
// texts.json: a JSON array of strings (the documents). For each repeat: load a fresh tokenizer (timed as load),
// encode every document once (cold: nothing cached) and again (warm). Prints one JSON object with the medians:
// {"loadMs", "coldMs", "warmMs", "tokens"}.
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const [folder, textsPath, repeatsArg] = process.argv.slice(2);
if (!folder || !textsPath) {
  console.error("usage: node bench-encode.mjs <tokenizer folder> <texts.json> [repeats]");
  process.exit(2);
}

const texts = JSON.parse(fs.readFileSync(textsPath, "utf8"));
const repeats = Number(repeatsArg ?? 1);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const encodeAll = (tokenizer) => {
  let tokens = 0;
  for (const text of texts) tokens += tokenizer.encode(text, { add_special_tokens: false }).ids.length;
  return tokens;
};

const loads = [], colds = [], warms = [];
let tokens = 0;
for (let r = 0; r < repeats; r++) {
  let start = process.hrtime.bigint();
  const tokenizer = new Tokenizer(
    JSON.parse(fs.readFileSync(path.join(folder, "tokenizer.json"), "utf8")),
    JSON.parse(fs.readFileSync(path.join(folder, "tokenizer_config.json"), "utf8")),
  );
  loads.push(Number(process.hrtime.bigint() - start) / 1e6);
  start = process.hrtime.bigint();
  tokens = encodeAll(tokenizer);
  colds.push(Number(process.hrtime.bigint() - start) / 1e6);
  start = process.hrtime.bigint();
  encodeAll(tokenizer);
  warms.push(Number(process.hrtime.bigint() - start) / 1e6);
}

process.stdout.write(JSON.stringify({ loadMs: median(loads), coldMs: median(colds), warmMs: median(warms), tokens }));
