#!/usr/bin/env python3
"""Reference-logit fixtures for the model-family parity tests (issue 4).

Builds tiny random-weight checkpoints of each family with Hugging Face transformers' own classes and
save_pretrained (so the tensor names and layout are the reference's), runs them in float32 with eager
attention on fixed token sequences, and writes, per family, into OUT/<family>/:
  config.json, model.safetensors   the checkpoint, exactly as transformers saves it
  reference.json                   {"tokens": [...], "logits": [[...] per position], "greedy": [...32 ids]}
The sequences are longer than the sliding windows so windowed layers are exercised. Fixtures are small
(a few hundred KB per family) and are committed; transformers is only needed to regenerate them.

Usage (on the GPU machine, which has torch + transformers):  python3 tools/parity/make_fixtures.py OUT
"""
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM

SEQ_LEN = 24
GREEDY = 32
COMMON = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=512, initializer_range=0.2,
              torch_dtype="float32")


def families():
    from transformers import Gemma2Config, LlamaConfig, Qwen2Config, Qwen3Config
    yield "llama3", LlamaConfig(**COMMON, num_hidden_layers=2, rope_theta=500000.0, tie_word_embeddings=False,
                                rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                              "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
    yield "gemma2", Gemma2Config(**COMMON, num_hidden_layers=4, head_dim=16, sliding_window=8,
                                 query_pre_attn_scalar=16, attn_logit_softcapping=50.0,
                                 final_logit_softcapping=30.0, hidden_activation="gelu_pytorch_tanh")
    try:
        from transformers import Gemma3TextConfig
        yield "gemma3", Gemma3TextConfig(**COMMON, num_hidden_layers=6, head_dim=16, sliding_window=8,
                                         query_pre_attn_scalar=16, rope_theta=1000000.0,
                                         rope_local_base_freq=10000.0,
                                         rope_scaling={"rope_type": "linear", "factor": 8.0},
                                         layer_types=["sliding_attention"] * 5 + ["full_attention"])
    except ImportError:
        print("transformers has no Gemma3TextConfig; skipping gemma3", file=sys.stderr)
    yield "qwen3", Qwen3Config(**COMMON, num_hidden_layers=2, head_dim=32, tie_word_embeddings=True)
    yield "qwen2", Qwen2Config(**COMMON, num_hidden_layers=2, tie_word_embeddings=False)
    try:
        # Gemma3ForConditionalGeneration export: nested text_config, language-model tensor prefixes. The
        # vision tower is as small as it can be; only the text path runs.
        from transformers import Gemma3Config, Gemma3TextConfig, SiglipVisionConfig
        text = Gemma3TextConfig(**COMMON, num_hidden_layers=6, head_dim=16, sliding_window=8,
                                query_pre_attn_scalar=16, tie_word_embeddings=False)
        vision = SiglipVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                    num_attention_heads=2, image_size=28, patch_size=14)
        yield "gemma3_multimodal", Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4)
    except Exception as error:  # an optional variant must not cost the other fixtures
        print(f"gemma3_multimodal not generated: {error!r}", file=sys.stderr)


def main(out):
    generator = torch.Generator().manual_seed(1234)
    tokens = torch.randint(0, COMMON["vocab_size"], (1, SEQ_LEN), generator=generator)
    for name, config in families():
        torch.manual_seed(0)
        config._attn_implementation = "eager"  # exact softmax attention, no fused kernels
        model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.float32).eval()
        with torch.no_grad():
            # transformers initialises norm gains and biases to constants (1, or 0 for Gemma's 1 + w, and 0),
            # which would hide a wrong norm or a dropped bias; perturb every 1-D parameter.
            for parameter in model.parameters():
                if parameter.dim() == 1:
                    parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.2)
        folder = os.path.join(out, name)
        model.save_pretrained(folder, safe_serialization=True)
        with torch.no_grad():
            logits = model(input_ids=tokens).logits[0].tolist()
            greedy = model.generate(tokens, max_new_tokens=GREEDY, do_sample=False, min_new_tokens=GREEDY,
                                    eos_token_id=None, pad_token_id=0)[0, SEQ_LEN:].tolist()
        with open(os.path.join(folder, "reference.json"), "w") as f:
            json.dump({"tokens": tokens[0].tolist(), "logits": logits, "greedy": greedy}, f)
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters -> {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/Engine.Cpu.Tests/Parity")
