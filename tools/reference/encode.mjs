// Reference token ids from @huggingface/tokenizers.
// Usage: node encode.mjs <tokenizer folder> <corpus.json> [--split-special] [--no-special-only]
// corpus.json: [{"name": "...", "text": "..."}]. Prints one JSON array to stdout:
// [{"name", "ids" (with special tokens), "idsNoSpecial"}]; --no-special-only leaves "ids" out (long inputs).
// --split-special drops the special added tokens first, so their strings in the text are encoded as text: what
// Hugging Face's split_special_tokens gives (the library has no such option).
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const [folder, corpusPath, ...flags] = process.argv.slice(2);
if (!folder || !corpusPath) {
  console.error("usage: node encode.mjs <tokenizer folder> <corpus.json>");
  process.exit(2);
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));
const tokenizerJson = readJson(path.join(folder, "tokenizer.json"));
const config = readJson(path.join(folder, "tokenizer_config.json"));
const splitSpecial = flags.includes("--split-special");
const noSpecialOnly = flags.includes("--no-special-only");
const tokenizer = splitSpecial
  ? new Tokenizer(
      { ...tokenizerJson, added_tokens: tokenizerJson.added_tokens.filter((t) => !t.special) },
      {
        ...config,
        added_tokens_decoder: Object.fromEntries(
          Object.entries(config.added_tokens_decoder ?? {}).filter(([, t]) => !t.special),
        ),
      },
    )
  : new Tokenizer(tokenizerJson, config);

const results = readJson(corpusPath).map(({ name, text }) => ({
  name,
  ids: noSpecialOnly ? [] : tokenizer.encode(text).ids,
  idsNoSpecial: tokenizer.encode(text, { add_special_tokens: false }).ids,
}));
process.stdout.write(JSON.stringify(results));
