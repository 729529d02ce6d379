#!/usr/bin/python3
"""Trains a small MobileNetV2-style network (inverted residual blocks, depthwise 3x3 convs, BatchNorm, ReLU6) on
Fashion-MNIST and exports bench/models/mobilenet_fmnist.onnx (opset 13, batch 1 fixed, BatchNormalization nodes kept (PRESERVE: the eval peephole would fold them), as
exported, eval mode) with its preprocess json. It is the depthwise-separable network of issue 15's cross-layer equalization
and bias correction target (per-tensor int8 weights). CPU only: one epoch over 30000 images, a few minutes on 2 free cores.

    python3 bench/models/train_mobilenet_fmnist.py [--epochs 2] [--data /usr/share/datasets/fashion-mnist]
"""
import argparse, gzip, json, os, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def conv_bn(cin, cout, k=1, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return layers


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        self.body = nn.Sequential(*conv_bn(cin, hidden), *conv_bn(hidden, hidden, 3, stride, groups=hidden), *conv_bn(hidden, cout, act=False))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetFmnist(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn(1, 16, 3, 2))
        # (expansion, channels, stride): the stem takes 28x28 to 14x14, then 7x7
        blocks, cin = [], 16
        for t, c, s in [(1, 16, 1), (4, 24, 2), (4, 24, 1), (4, 32, 1), (4, 32, 1), (4, 48, 1)]:
            blocks.append(InvertedResidual(cin, c, s, t))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(*conv_bn(cin, 96))
        self.fc = nn.Linear(96, 10)

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def to_tensor(images):
    return torch.from_numpy(((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--train-samples", type=int, default=30000, help="first N training images (the machine is small)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "mobilenet_fmnist"))
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xtr = to_tensor(read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))[:a.train_samples])
    ytr = torch.from_numpy(read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"))[:a.train_samples].astype(np.int64))
    xte = to_tensor(read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")))
    yte = torch.from_numpy(read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    model = MobileNetFmnist()
    steps = a.epochs * (len(xtr) // 128)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    start = time.time()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(len(xtr) // 128):
            idx = perm[i * 128:(i + 1) * 128]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if i % 50 == 0:
                print(f"  step {i}: loss {loss.item():.3f}, {time.time() - start:.0f} s", flush=True)
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, {time.time() - start:.0f} s", flush=True)
    model.eval()
    with torch.no_grad():
        correct = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item() for i in range(0, len(xte), 1000))
    print(f"fp32 test accuracy {correct / len(xte) * 100:.2f} %", flush=True)
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), a.out + ".onnx", input_names=["input"], output_names=["logits"],
                      opset_version=13, do_constant_folding=True, training=torch.onnx.TrainingMode.PRESERVE,
                      keep_initializers_as_inputs=False)
    with open(a.out + ".preprocess.json", "w") as f:
        json.dump({"input": "input", "layout": "NCHW", "scale": 1 / 255, "mean": [MEAN], "std": [STD]}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
