#!/usr/bin/python3
"""Fixtures of the PyTorch twins (scripts/torch_models.py): for every config in model/src/test/resources/twins/,
weights drawn by torch, an input and the twin's output, in <config>.safetensors beside it. The Java tests load
the weights and input into Attention Lab's model and compare outputs. The twins read each config as the Java side
resolves it (scripts/run describe --resolved), so the project must be built (scripts/run builds it when needed).

Run: /usr/bin/python3 scripts/goldens/twins.py [--out ROOT]   (scripts/update-goldens runs it)
"""
import argparse
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TWINS = os.path.join("model", "src", "test", "resources", "twins")

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--out", default=REPO)
out_root = parser.parse_args().out
os.makedirs(os.path.join(out_root, TWINS), exist_ok=True)
# The Hugging Face acceptance twins run at 40 positions, so that window 8 slides well inside the sequence; they must
# resolve to that model's layout (--twin names it: a config that drifts from it fails here instead of silently taking
# the generic twin).
HUGGING_FACE = {"cohere2": 40, "mistral": 40}
for config in sorted(glob.glob(os.path.join(REPO, TWINS, "*.yaml"))):
    name = os.path.splitext(os.path.basename(config))[0]
    target = os.path.join(out_root, TWINS, name + ".safetensors")
    twin = name if name in HUGGING_FACE else "auto"
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "torch_models.py"), config, "--fixture", target, "--batch", "2", "--seq-len",
                    str(HUGGING_FACE.get(name, 11)), "--seed", "1", "--twin", twin], check=True)
    print("wrote", target)
