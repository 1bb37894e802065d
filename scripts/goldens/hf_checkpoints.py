#!/usr/bin/python3
"""Hugging Face checkpoint directories written by the PyTorch twins of Cohere2, Mistral and Llama (scripts/hf_twins.py),
laid out as transformers' save_pretrained writes them: model/src/test/resources/hf-checkpoints/<name>/config.json (the
fields below, sorted and indented) and model.safetensors (Hugging Face's tensor names, in the checkpoint's dtype, a tied
lm_head left out), and <name>.io.safetensors beside each directory with an input (token ids [2, 40]) and the twin's
logits, computed in float32 from the stored weights. The Java tests load each directory as a checkpoint and must give
the same logits. Nothing here goes through the Java side: the config.json fields are written out as a Hugging Face user
would, and the twin completes them with the configuration classes' own defaults.

Run: /usr/bin/python3 scripts/goldens/hf_checkpoints.py [--out ROOT]   (scripts/update-goldens runs it)
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import hf_twins  # noqa: E402
from _fixtures import write_safetensors  # noqa: E402

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

FOLDER = os.path.join("model", "src", "test", "resources", "hf-checkpoints")
SEQ_LEN = 40  # window 8 slides well inside the sequence

# The sizes of model/src/test/resources/twins/cohere2.yaml and mistral.yaml, so the tests can check that each
# directory reads as that config. Fields a save_pretrained of transformers 4.5x writes; Cohere2's tie_word_embeddings
# is left out as save_pretrained leaves it out (it equals the default, true), and its layer_types and
# sliding_window_pattern agree. Mistral is stored in bfloat16 and Llama in float16, as checkpoints usually are.
CHECKPOINTS = {
    "cohere2": (torch.float32, {
        "architectures": ["Cohere2ForCausalLM"], "model_type": "cohere2", "torch_dtype": "float32", "transformers_version": "4.51.3",
        "vocab_size": 50, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 2,
        "head_dim": 8, "hidden_act": "silu", "layer_norm_eps": 1e-05, "logit_scale": 0.0625, "rope_theta": 10000.0, "rope_scaling": None,
        "attention_bias": False, "attention_dropout": 0.0, "sliding_window": 8, "sliding_window_pattern": 4,
        "layer_types": ["sliding_attention"] * 3 + ["full_attention"] + ["sliding_attention"] * 3 + ["full_attention"],
        "max_position_embeddings": 8192, "initializer_range": 0.02, "use_cache": True, "bos_token_id": 5, "eos_token_id": 255001, "pad_token_id": 0,
    }),
    "mistral": (torch.bfloat16, {
        "architectures": ["MistralForCausalLM"], "model_type": "mistral", "torch_dtype": "bfloat16", "transformers_version": "4.51.3",
        "vocab_size": 50, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 2,
        "head_dim": 8, "hidden_act": "silu", "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 8, "tie_word_embeddings": False,
        "attention_dropout": 0.0, "max_position_embeddings": 32768, "initializer_range": 0.02, "use_cache": True, "bos_token_id": 1,
        "eos_token_id": 2,
    }),
    # Llama: full attention, the bias switches on, tied embeddings, another RoPE base; head_dim and num_key_value_heads
    # given, pretraining_tp as Llama 2's config.json has it
    "llama": (torch.float16, {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "float16", "transformers_version": "4.51.3",
        "vocab_size": 50, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
        "head_dim": 8, "hidden_act": "silu", "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "rope_scaling": None, "attention_bias": True,
        "mlp_bias": True, "tie_word_embeddings": True, "attention_dropout": 0.0, "pretraining_tp": 1, "max_position_embeddings": 2048,
        "initializer_range": 0.02, "use_cache": True, "bos_token_id": 1, "eos_token_id": 2,
    }),
}

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--out", default=os.path.normpath(os.path.join(HERE, "..", "..")))
out_root = parser.parse_args().out

for seed, (name, (dtype, fields)) in enumerate(CHECKPOINTS.items(), start=1):
    family, config = hf_twins.pretrained_config(fields)
    model = hf_twins.BUILDERS[family](config).eval()
    torch.manual_seed(seed)
    with torch.no_grad():
        for parameter_name, p in model.named_parameters():
            drawn = torch.randn_like(p) * hf_twins.HuggingFaceTwin.fixture_std(p) + (1.0 if parameter_name.endswith("norm.weight") else 0.0)
            p.copy_(drawn.to(dtype).float())  # the values the checkpoint stores, exactly
    directory = os.path.join(out_root, FOLDER, name)
    hf_twins.save_pretrained(model, fields, directory, dtype)
    ids = torch.randint(0, config["vocab_size"], (2, SEQ_LEN), dtype=torch.int64)
    with torch.no_grad():
        logits = model(ids)
    write_safetensors(os.path.join(out_root, FOLDER, name + ".io.safetensors"), {"input": ids, "output": logits})
    print("wrote", directory)
