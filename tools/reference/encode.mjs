// Reference token ids from @huggingface/tokenizers.
// Usage: node encode.mjs <tokenizer folder> <corpus.json>
// corpus.json: [{"name": "...", "text": "..."}]. Prints one JSON array to stdout:
// [{"name", "ids" (with special tokens), "idsNoSpecial"}].
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const [folder, corpusPath] = process.argv.slice(2);
if (!folder || !corpusPath) {
  console.error("usage: node encode.mjs <tokenizer folder> <corpus.json>");
  process.exit(2);
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));
const tokenizer = new Tokenizer(
  readJson(path.join(folder, "tokenizer.json")),
  readJson(path.join(folder, "tokenizer_config.json")),
);

const results = readJson(corpusPath).map(({ name, text }) => ({
  name,
  ids: tokenizer.encode(text).ids,
  idsNoSpecial: tokenizer.encode(text, { add_special_tokens: false }).ids,
}));
process.stdout.write(JSON.stringify(results));
