#!/usr/bin/python3
"""Makes the tiny model files test/test-loader.c reads (Debian's python3-torch).

A static-quantized QuantStub -> Conv2d(3, 4, 3, padding=1) -> ReLU ->
flatten -> Linear(64, 5) -> DeQuantStub network for the qnnpack engine, with
a per-channel weight observer on the conv and a per-tensor one on the linear
layer, traced and written as:

  OUT_DIR/tiny.pt    torch.jit.save
  OUT_DIR/tiny.ptl   optimize_for_mobile(...)._save_for_lite_interpreter

Weights come from a fixed seed, so the files (and the values the test asserts
on, printed by this script) are the same on every run with the same torch.

usage: tools/make_loader_fixtures.py [OUT_DIR]   (default test/models/fixtures)
"""
import os
import pickletools
import sys
import zipfile

import torch
import torch.nn as nn
from torch.ao.quantization import (DeQuantStub, QConfig, QuantStub, convert,
                                   default_per_channel_weight_observer,
                                   get_default_qconfig, prepare)
from torch.utils.mobile_optimizer import optimize_for_mobile


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(4 * 4 * 4, 5)
        self.dequant = DeQuantStub()

    def forward(self, x):
        x = self.relu(self.conv(self.quant(x)))
        return self.dequant(self.fc(x.reshape(x.shape[0], -1)))


def build():
    torch.backends.quantized.engine = "qnnpack"
    torch.manual_seed(0)
    model = Tiny().eval()
    per_tensor = get_default_qconfig("qnnpack")
    model.qconfig = per_tensor
    model.conv.qconfig = QConfig(activation=per_tensor.activation,
                                 weight=default_per_channel_weight_observer)
    prepare(model, inplace=True)
    for _ in range(8):
        model(torch.randn(2, 3, 4, 4))
    convert(model, inplace=True)
    return model


def summarize(model, paths):
    """Prints what the C test asserts on."""
    w = model.conv.weight()
    print("conv weight", tuple(w.shape), w.stride(), w.qscheme(), "axis", w.q_per_channel_axis())
    print("conv scales", [s.hex() for s in w.q_per_channel_scales().tolist()])
    print("conv zero points", w.q_per_channel_zero_points().tolist())
    print("conv first weights (int8)", w.int_repr().flatten()[:4].tolist())
    print("conv output scale", model.conv.scale.hex(), "zero point", model.conv.zero_point)
    fw = model.fc._packed_params._weight_bias()[0]
    print("fc weight", tuple(fw.shape), fw.stride(), "scale", fw.q_scale().hex(),
          "zero point", fw.q_zero_point())
    for path in paths:
        with zipfile.ZipFile(path) as z:
            print(path, [(i.filename, i.file_size) for i in z.infolist()])
            if "bytecode.pkl" in " ".join(z.namelist()):
                name = [n for n in z.namelist() if n.endswith("/bytecode.pkl")][0]
                data = z.read(name)
                ops = sum(1 for _ in pickletools.genops(data))
                print(name, len(data), "bytes,", ops, "opcodes")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "test", "models", "fixtures")
    os.makedirs(out, exist_ok=True)
    model = build()
    traced = torch.jit.trace(model, torch.randn(1, 3, 4, 4))
    pt = os.path.join(out, "tiny.pt")
    ptl = os.path.join(out, "tiny.ptl")
    torch.jit.save(traced, pt)
    optimize_for_mobile(traced)._save_for_lite_interpreter(ptl)
    summarize(model, [pt, ptl])


if __name__ == "__main__":
    main()
