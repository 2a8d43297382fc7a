#!/usr/bin/env python3
"""Hugging Face transformers' generate on a checkpoint folder: the peer of the GPU check's batch throughput figure.

Usage: hf_generate.py FOLDER BATCH PROMPT_TOKENS NEW_TOKENS
Loads FOLDER (config.json + safetensors, as the check's synthetic checkpoints are written) in bf16 with SDPA
attention on the GPU, generates NEW_TOKENS greedy tokens (no early stop) for BATCH random prompts of PROMPT_TOKENS
ids with a static KV cache, after a short warm-up, and prints one JSON line: seconds, tokens_per_s, versions.
"""
import json
import sys
import time

import torch
import transformers
from transformers import AutoModelForCausalLM


def main():
    folder, batch, prompt, new = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()
    generator = torch.Generator(device="cuda").manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (batch, prompt), device="cuda", generator=generator)
    mask = torch.ones_like(ids)
    options = dict(do_sample=False, cache_implementation="static", pad_token_id=0, eos_token_id=None)
    with torch.inference_mode():
        model.generate(ids[:, :32], attention_mask=mask[:, :32], max_new_tokens=4, min_new_tokens=4, **options)
        torch.cuda.synchronize()
        start = time.perf_counter()
        out = model.generate(ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, **options)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    generated = out.shape[1] - prompt
    print(json.dumps({"seconds": seconds, "tokens_per_s": batch * generated / seconds, "generated": generated,
                      "torch": torch.__version__, "transformers": transformers.__version__}))


if __name__ == "__main__":
    main()
