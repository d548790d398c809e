#!/usr/bin/python3
"""Makes quantized test models the way users make them, with PyTorch
(Debian's python3-torch / python3-torchvision), and their reference outputs.

For each model it writes, into OUT_DIR:
  NAME.pt          torch.jit.save of the traced, quantized model
  NAME.ptl         optimize_for_mobile(...)._save_for_lite_interpreter
  NAME.input.npy   the input (float32, NCHW)
  NAME.output.npy  PyTorch's output for that input (float32), from the .ptl
                   run in the lite interpreter with the qnnpack engine

Weights are random (no pretrained download is possible here). BatchNorm
statistics are recalibrated on random data before fusing, or random-init
networks collapse to constant outputs; each model's output is checked to span
many quantization steps.

usage:
  tools/make_models.py OUT_DIR                   the small committed models
  tools/make_models.py OUT_DIR --torchvision mobilenet_v2 resnet18 ...
  tools/make_models.py OUT_DIR --only tiny_conv ...
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.ao.quantization import (DeQuantStub, QuantStub, get_default_qconfig,
                                   per_channel_dynamic_qconfig, quantize_dynamic)
from torch.utils.mobile_optimizer import optimize_for_mobile

ENGINE = "qnnpack"


def seed(n):
    torch.manual_seed(n)
    np.random.seed(n)


# --- small models, one per operator family ------------------------------------

class Quantized(nn.Module):
    """Wraps a float body between QuantStub and DeQuantStub."""

    def __init__(self, body):
        super().__init__()
        self.quant = QuantStub()
        self.body = body
        self.dequant = DeQuantStub()

    def forward(self, x):
        return self.dequant(self.body(self.quant(x)))


class ConvBlocks(nn.Module):
    """conv+bn+relu, depthwise+bn+relu6 (hardtanh), pointwise, max pool."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU())
        self.dw = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, groups=16), nn.BatchNorm2d(16), nn.ReLU6())
        self.pw = nn.Conv2d(16, 24, 1)
        self.pool = nn.MaxPool2d(3, 2, 1)

    def forward(self, x):
        return self.pool(self.pw(self.dw(self.conv(x))))


class Residual(nn.Module):
    """quantized add / add_relu, avg pool, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(8, 8, 3, 1, 1)
        self.b = nn.Conv2d(8, 8, 1)
        self.add = torch.ao.nn.quantized.FloatFunctional()
        self.add_relu = torch.ao.nn.quantized.FloatFunctional()
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        y = self.add.add(self.a(x), self.b(x))
        y = self.add_relu.add_relu(y, x)
        return self.fc(torch.flatten(self.pool(y), 1))


class SqueezeExcite(nn.Module):
    """hardswish, adaptive avg pool, hardsigmoid, broadcasting mul, cat."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 12, 3, 1, 1)
        self.act = nn.Hardswish()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(12, 4, 1)
        self.fc2 = nn.Conv2d(4, 12, 1)
        self.gate = nn.Hardsigmoid()
        self.mul = torch.ao.nn.quantized.FloatFunctional()
        self.cat = torch.ao.nn.quantized.FloatFunctional()

    def forward(self, x):
        y = self.act(self.conv(x))
        s = self.gate(self.fc2(torch.relu(self.fc1(self.pool(y)))))
        return self.cat.cat([self.mul.mul(y, s), y], 1)


class Upsample(nn.Module):
    """transposed conv, nearest upsample, sigmoid."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(6, 4, 3, 2, 1, output_padding=1)
        self.conv = nn.Conv2d(4, 4, 3, 1, 1)
        self.resize = nn.Upsample(scale_factor=2, mode="nearest")

    def forward(self, x):
        return torch.sigmoid(self.conv(self.resize(self.up(x))))


def channel_shuffle(x, groups):
    """torchvision's ShuffleNetV2 channel shuffle (shapes computed at run time)."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class ShuffleBilinear(nn.Module):
    """channel shuffle (view/transpose/view), chunk, bilinear upsample both
    ways, quantized softmax over channels."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.branch = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4), nn.ReLU())
        self.cat = torch.ao.nn.quantized.FloatFunctional()
        self.softmax = nn.Identity()  # quantized.Softmax after convert (no eager mapping)

    def forward(self, x):
        y = channel_shuffle(self.conv(x), 2)
        y = nn.functional.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)
        a, b = y.chunk(2, dim=1)
        y = channel_shuffle(self.cat.cat([a, self.branch(b)], 1), 4)
        y = nn.functional.interpolate(y, size=(9, 13), mode="bilinear", align_corners=True)
        return self.softmax(y)


def shuffle_bilinear():
    model = quantize_static(Quantized(ShuffleBilinear()), (1, 3, 5, 6), False)
    model.body.softmax = torch.ao.nn.quantized.Softmax(dim=1, scale=1.0 / 256, zero_point=0)
    return model


class Mlp(nn.Module):
    def __init__(self, sizes=(784, 128, 64, 10)):
        super().__init__()
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(nn.ReLU())
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def recalibrate_batchnorm(model, shape, batches=8):
    """Random-init BatchNorm statistics are meaningless; recompute them on the
    same kind of random data the model will be calibrated and tested with."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(*shape))
    model.eval()


def fuse_known(model):
    """Fuses conv+bn(+relu) runs inside nn.Sequential children."""
    for name, child in model.named_modules():
        if isinstance(child, nn.Sequential):
            kinds = [type(m) for m in child]
            if kinds[:3] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]:
                torch.ao.quantization.fuse_modules(child, [["0", "1", "2"]], inplace=True)
            elif kinds[:2] == [nn.Conv2d, nn.BatchNorm2d]:
                torch.ao.quantization.fuse_modules(child, [["0", "1"]], inplace=True)


def quantize_static(model, shape, per_channel, fuse=None, batches=16):
    model.eval()
    recalibrate_batchnorm(model, shape)
    (fuse or fuse_known)(model)
    qconfig = get_default_qconfig(ENGINE)
    if per_channel:
        qconfig = torch.ao.quantization.QConfig(
            activation=qconfig.activation,
            weight=torch.ao.quantization.default_per_channel_weight_observer)
    model.qconfig = qconfig
    torch.ao.quantization.prepare(model, inplace=True)
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(*shape))
    torch.ao.quantization.convert(model, inplace=True)
    return model


def small_models():
    """name -> (builder, input shape). Builders return a quantized module."""
    return {
        "conv_blocks": (lambda: quantize_static(Quantized(ConvBlocks()), (1, 3, 32, 32), False), (1, 3, 32, 32)),
        "conv_blocks_per_channel": (lambda: quantize_static(Quantized(ConvBlocks()), (1, 3, 32, 32), True), (1, 3, 32, 32)),
        "residual": (lambda: quantize_static(Quantized(Residual()), (2, 8, 12, 12), False), (2, 8, 12, 12)),
        "squeeze_excite": (lambda: quantize_static(Quantized(SqueezeExcite()), (1, 4, 10, 10), True), (1, 4, 10, 10)),
        "upsample": (lambda: quantize_static(Quantized(Upsample()), (1, 6, 5, 7), False), (1, 6, 5, 7)),
        "mlp": (lambda: quantize_static(Quantized(Mlp()), (1, 784), False), (1, 784)),
        "mlp_dynamic": (lambda: quantize_dynamic(Mlp().eval(), {nn.Linear}, dtype=torch.qint8), (4, 784)),
        "mlp_dynamic_per_channel": (lambda: quantize_dynamic(Mlp().eval(), {nn.Linear: per_channel_dynamic_qconfig}), (4, 784)),
        "shuffle_bilinear": (shuffle_bilinear, (1, 3, 5, 6)),
    }


def torchvision_model(name, per_channel):
    from torchvision.models import quantization as tvq
    builders = {
        "mobilenet_v2": tvq.mobilenet_v2, "mobilenet_v3_large": tvq.mobilenet_v3_large,
        "resnet18": tvq.resnet18, "resnet50": tvq.resnet50,
        "shufflenet_v2_x1_0": tvq.shufflenet_v2_x1_0, "googlenet": tvq.googlenet,
    }
    kwargs = {"weights": None, "quantize": False}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    model = builders[name](**kwargs)
    shape = (1, 3, 224, 224)

    def fuse(m):
        m.fuse_model(is_qat=False) if "is_qat" in m.fuse_model.__code__.co_varnames else m.fuse_model()

    return quantize_static(model, shape, per_channel, fuse=fuse, batches=4), shape


def save(model, shape, out_dir, name):
    """Traces, saves .pt and .ptl, and writes the input and PyTorch's output."""
    example = torch.randn(*shape)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    pt = os.path.join(out_dir, name + ".pt")
    ptl = os.path.join(out_dir, name + ".ptl")
    torch.jit.save(traced, pt)
    optimize_for_mobile(traced)._save_for_lite_interpreter(ptl)
    from torch.jit.mobile import _load_for_lite_interpreter
    lite = _load_for_lite_interpreter(ptl)
    x = torch.randn(*shape)
    with torch.no_grad():
        y = lite(x)
        y_pt = torch.jit.load(pt)(x)
    if not torch.equal(y, y_pt):
        print(f"  note: {name}: .pt and .ptl outputs differ by {float((y - y_pt).abs().max()):.3g}")
    np.save(os.path.join(out_dir, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, name + ".output.npy"), y.numpy().astype(np.float32))
    distinct = len(np.unique(y.numpy()))
    size = os.path.getsize(ptl)
    print(f"{name}: {tuple(y.shape)} output, {distinct} distinct values, .ptl {size} bytes")
    if distinct < min(16, y.numel() // 2):
        sys.exit(f"{name}: output collapsed to {distinct} distinct values")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--torchvision", nargs="*", default=None,
                        help="torchvision quantizable models to make instead of the small ones")
    parser.add_argument("--per-channel", action="store_true", help="per-channel weights (torchvision)")
    parser.add_argument("--only", nargs="*", help="make only these small models")
    args = parser.parse_args()
    torch.backends.quantized.engine = ENGINE
    os.makedirs(args.out_dir, exist_ok=True)
    if args.torchvision is not None:
        for i, name in enumerate(args.torchvision):
            seed(100 + i)
            model, shape = torchvision_model(name, args.per_channel)
            save(model, shape, args.out_dir, name + ("_per_channel" if args.per_channel else ""))
        return
    for i, (name, (build, shape)) in enumerate(small_models().items()):
        if args.only and name not in args.only:
            continue
        seed(i)
        save(build(), shape, args.out_dir, name)


if __name__ == "__main__":
    main()
