#!/usr/bin/python3
"""Fixtures of the PyTorch twins (scripts/torch_models.py): for every config in model/src/test/resources/twins/,
weights drawn by torch, an input and the twin's output, in <config>.safetensors beside it. The Java tests load
the weights and input into Attention Lab's model and compare outputs.

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
for config in sorted(glob.glob(os.path.join(REPO, TWINS, "*.yaml"))):
    name = os.path.splitext(os.path.basename(config))[0]
    target = os.path.join(out_root, TWINS, name + ".safetensors")
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "torch_models.py"), config, "--fixture", target, "--batch", "2", "--seq-len", "11",
                    "--seed", "1"], check=True)
    print("wrote", target)
