#!/usr/bin/python3
"""Makes the demo's bundled model, apps/models/tiny_cnn.ptl (and .pt): a small
image classifier (conv-bn-relu, depthwise, pointwise, global average pool,
linear to 10 classes) quantized for the qnnpack engine on random data, as
tools/make_models.py makes its test models.

usage: tools/make_demo_model.py [OUT_DIR]     (default apps/models)
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models as mm  # noqa: E402


class TinyCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU()),
            nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, groups=16), nn.BatchNorm2d(16), nn.ReLU()),
            nn.Sequential(nn.Conv2d(16, 32, 1), nn.BatchNorm2d(32), nn.ReLU()),
            nn.Sequential(nn.Conv2d(32, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU()),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "apps/models"
    torch.backends.quantized.engine = mm.ENGINE
    mm.seed(7)
    shape = (1, 3, 64, 64)
    model = mm.quantize_static(mm.Quantized(TinyCnn()), shape, per_channel=True)
    os.makedirs(out_dir, exist_ok=True)
    mm.save(model, shape, out_dir, "tiny_cnn")


if __name__ == "__main__":
    main()
