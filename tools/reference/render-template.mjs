// Reference chat-template rendering with @huggingface/jinja, given the variables transformers'
// apply_chat_template passes: messages, add_generation_prompt and the special tokens that are set.
// Usage: node render-template.mjs <tokenizer_config.json> <conversations.json>
// conversations.json: [{"name", "messages": [{"role", "content"}], "addGenerationPrompt"}].
// Prints one JSON array to stdout: [{"name", "output"}] or [{"name", "error"}] when the template raises.
import fs from "node:fs";
import { Template } from "@huggingface/jinja";

const [configPath, conversationsPath] = process.argv.slice(2);
if (!configPath || !conversationsPath) {
  console.error("usage: node render-template.mjs <tokenizer_config.json> <conversations.json>");
  process.exit(2);
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, "utf8"));
const config = readJson(configPath);
const template = new Template(config.chat_template);

// transformers passes special tokens as plain strings and leaves out the ones that are null.
const tokenContent = (token) => (token && typeof token === "object" ? token.content : token);
const specialTokens = {};
for (const key of ["bos_token", "eos_token", "unk_token", "pad_token"]) {
  const content = tokenContent(config[key]);
  if (typeof content === "string") specialTokens[key] = content;
}

const results = readJson(conversationsPath).map(({ name, messages, addGenerationPrompt }) => {
  try {
    return {
      name,
      output: template.render({ ...specialTokens, messages, add_generation_prompt: addGenerationPrompt }),
    };
  } catch (error) {
    return { name, error: String(error.message ?? error) };
  }
});
process.stdout.write(JSON.stringify(results));
