#!/usr/bin/python3
"""Training fixtures of the PyTorch twins (scripts/torch_models.py --train-fixture): for every config in
model/src/test/resources/training/ (a twin config or an example training config with a train: block of 20 small
steps), weights drawn by torch, the batches of the 20 steps as the Java task generator draws them (scripts/run
batches), the loss and every parameter's gradient on the first micro-batch, and the loss, learning rate and gradient
norm of each of 20 AdamW steps from those weights, in <config>.safetensors beside it. The Java tests
(model.train.TrainingTwinsTest) run the same weights and batches through scripts/run train's step graphs and compare.
The project must be built (scripts/run builds it when needed).

Run: /usr/bin/python3 scripts/goldens/training.py [--out ROOT]   (scripts/update-goldens runs it)
"""
import argparse
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TRAINING = os.path.join("model", "src", "test", "resources", "training")

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--out", default=REPO)
out_root = parser.parse_args().out
os.makedirs(os.path.join(out_root, TRAINING), exist_ok=True)
for config in sorted(glob.glob(os.path.join(REPO, TRAINING, "*.yaml"))):
    name = os.path.splitext(os.path.basename(config))[0]
    target = os.path.join(out_root, TRAINING, name + ".safetensors")
    subprocess.run([sys.executable, os.path.join(REPO, "scripts", "torch_models.py"), config, "--train-fixture", target, "--seed", "1"], check=True)
    print("wrote", target)
