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
  tools/make_models.py OUT_DIR --zoo [--only NAME ...]   user-style models (see zoo_models)
  tools/make_models.py test/models --zoo-committed       the zoo variants committed as tests
  tools/make_models.py OUT_DIR --check build/release/q8-run [--only NAME ...]
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
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


# --- the zoo: user-style models q8 has not been written against ------------------
#
# Each entry builds a quantized model the way user code does: eager mode
# (QuantStub / DeQuantStub, fuse_modules, prepare / convert), FX graph mode
# (prepare_fx / convert_fx) or dynamic (quantize_dynamic). `--zoo` saves every
# entry traced and scripted, each as .pt and .ptl, with its input and the lite
# interpreter's output, as NAME.trace.* and NAME.script.*; `--check Q8_RUN`
# runs q8-run on each file and compares.

def ff():
    return torch.ao.nn.quantized.FloatFunctional()


class ViewSize(nn.Module):
    """avgpool, then x.view(x.size(0), -1) into a linear (the classic CNN head;
    a view of a bigger channels_last conv output fails in PyTorch itself)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        return self.fc(x.view(x.size(0), -1))


class ReshapeShape(nn.Module):
    """x.reshape(x.shape[0], -1), nn.Flatten, x.flatten(1)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.fc = nn.Linear(8 * 4 * 4, 6)
        self.flat = nn.Flatten()
        self.fc2 = nn.Linear(8 * 4 * 4, 6)
        self.cat = ff()

    def forward(self, x):
        x = self.conv(x)
        a = self.fc(x.reshape(x.shape[0], -1))
        b = self.fc2(self.flat(x))
        return self.cat.cat([a, b], 1)


class ViewMinusOne(nn.Module):
    """x.view(-1) (batch 1) and a linear on the 1-D result."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, 2, 1)
        self.fc = nn.Linear(4 * 4 * 4, 12)

    def forward(self, x):
        return self.fc(self.conv(x).contiguous().view(-1).view(1, -1))


class MeanKeepdim(nn.Module):
    """x.mean([2, 3], keepdim=True) into a 1x1 conv; x.mean((2, 3)) into a linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.proj = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        s = self.proj(x.mean([2, 3], keepdim=True))
        return self.fc(torch.flatten(s, 1) if False else s.mean((2, 3)))


class CatDims(nn.Module):
    """FloatFunctional.cat on channels, on H and on W; torch.cat on quantized tensors."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, 1, 1)
        self.b = nn.Conv2d(3, 4, 1)
        self.c1, self.c2, self.c3 = ff(), ff(), ff()

    def forward(self, x):
        a, b = self.a(x), self.b(x)
        y = self.c1.cat([a, b], 1)
        h = self.c2.cat([a, b], 2)
        w = self.c3.cat([h, h], dim=3)
        return torch.cat([w, w], -1)[:, :, :, :] if False else torch.cat([w, w], 0)


class Interpolate(nn.Module):
    """F.interpolate nearest and bilinear with scale factors, and to a size."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, 1, 1)
        self.conv2 = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.conv2(x)
        x = F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=False)
        return F.interpolate(x, size=(7, 9), mode="nearest")


class BatchNormUnfused(nn.Module):
    """BatchNorm2d that cannot fuse (after relu; on the input): quantized::batch_norm2d."""

    def __init__(self):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(3)
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(torch.relu(self.conv(self.bn0(x))))


class BatchNormRelu(nn.Module):
    """BatchNorm2d + ReLU fused (BNReLU2d: quantized::batch_norm2d_relu)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.bnr = nn.Sequential(nn.BatchNorm2d(8), nn.ReLU())

    def forward(self, x):
        return self.bnr(self.conv(x))


def fuse_bn_relu(m):
    fuse_known(m)
    torch.ao.quantization.fuse_modules(m.body.bnr, [["0", "1"]], inplace=True)


class ConvBnFused(nn.Module):
    """conv+bn and conv+bn+relu fused by fuse_modules (the common case)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.b = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), nn.BatchNorm2d(8))

    def forward(self, x):
        return self.b(self.a(x))


class Activations(nn.Module):
    """ReLU6, LeakyReLU, Hardswish, ELU, Sigmoid, Tanh, Hardsigmoid modules."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.relu6 = nn.ReLU6()
        self.c2 = nn.Conv2d(8, 8, 1)
        self.leaky = nn.LeakyReLU(0.1)
        self.c3 = nn.Conv2d(8, 8, 1)
        self.hs = nn.Hardswish()
        self.c4 = nn.Conv2d(8, 8, 1)
        self.sig = nn.Sigmoid()
        self.c5 = nn.Conv2d(8, 8, 1)
        self.tanh = nn.Tanh()
        self.hsig = nn.Hardsigmoid()

    def forward(self, x):
        x = self.relu6(self.conv(x))
        x = self.leaky(self.c2(x))
        x = self.hs(self.c3(x))
        x = self.sig(self.c4(x))
        return self.hsig(self.tanh(self.c5(x)))


class Elu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.elu = nn.ELU()

    def forward(self, x):
        return self.elu(self.conv(x))


class Conv1dNet(nn.Module):
    """Conv1d + BatchNorm1d + ReLU (fused), Conv1d with stride, dilation, groups."""

    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv1d(4, 8, 3, 1, 1), nn.BatchNorm1d(8), nn.ReLU())
        self.b = nn.Conv1d(8, 8, 5, 2, 4, dilation=2, groups=2)
        self.c = nn.Conv1d(8, 6, 1)

    def forward(self, x):
        return self.c(torch.relu(self.b(self.a(x))))


def fuse_conv1d(m):
    torch.ao.quantization.fuse_modules(m.body.a, [["0", "1", "2"]], inplace=True)


class ConvTranspose(nn.Module):
    """ConvTranspose2d: stride 2 with output padding, and grouped."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(6, 8, 4, 2, 1)
        self.up2 = nn.ConvTranspose2d(8, 4, 3, 2, 1, output_padding=1, groups=2)

    def forward(self, x):
        return self.up2(torch.relu(self.up(x)))


class Pools(nn.Module):
    """MaxPool2d / AvgPool2d with padding and ceil_mode, adaptive pools."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.mp = nn.MaxPool2d(3, 2, 1, ceil_mode=True)
        self.ap = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
        self.ap2 = nn.AvgPool2d(2, 1, 1)
        self.mp2 = nn.MaxPool2d(2)
        self.aap = nn.AdaptiveAvgPool2d((2, 3))  # non-divisible: ATen's generic rule

    def forward(self, x):
        x = self.conv(x)
        x = self.ap2(self.ap(self.mp(x)))
        return torch.cat([self.aap(x), self.mp2(x)], 3)


class ScalarOps(nn.Module):
    """FloatFunctional.add_scalar / mul_scalar (positive and negative)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.f1, self.f2, self.f3, self.f4 = ff(), ff(), ff(), ff()
        self.conv2 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        x = self.f1.add_scalar(x, 0.75)
        x = self.f2.mul_scalar(x, 0.5)
        x = self.f3.mul_scalar(x, -1.25)
        x = self.f4.add_scalar(x, -0.3)
        return self.conv2(x)


class FloatFunctionals(nn.Module):
    """FloatFunctional cat / add / add_relu / mul / mul broadcasting."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, 1, 1)
        self.b = nn.Conv2d(3, 8, 1)
        self.add, self.add_relu, self.mul, self.cat = ff(), ff(), ff(), ff()
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        a, b = self.a(x), self.b(x)
        s = self.add.add(a, b)
        r = self.add_relu.add_relu(a, s)
        m = self.mul.mul(r, self.pool(b))
        return self.cat.cat([s, m], 1)


class Padding(nn.Module):
    """F.pad (constant), nn.ZeroPad2d, nn.ConstantPad2d, reflection and replication pads."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.zp = nn.ZeroPad2d((1, 2, 0, 1))
        self.conv2 = nn.Conv2d(4, 4, 3)

    def forward(self, x):
        x = self.conv(F.pad(x, (1, 1, 1, 1)))
        return self.conv2(self.zp(x))


class ReflectPad(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.pad = nn.ReflectionPad2d(1)
        self.conv2 = nn.Conv2d(4, 4, 3)

    def forward(self, x):
        return self.conv2(self.pad(self.conv(self.pad(x))))


class PermuteLinear(nn.Module):
    """Patch tokens: permute(0, 2, 3, 1), reshape, linear on [B, T, C], transpose back."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 2, 2)
        self.fc = nn.Linear(8, 12)
        self.conv2 = nn.Conv2d(12, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        n, c, h, w = x.shape
        t = x.permute(0, 2, 3, 1).contiguous().reshape(n, h * w, c)
        t = self.fc(t)
        y = t.transpose(1, 2).contiguous().view(n, 12, h, w)
        return self.conv2(y)


class ChunkSplit(nn.Module):
    """chunk along channels, torch.split with sizes, split along H; cat back."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.a = nn.Conv2d(3, 3, 1)
        self.b = nn.Conv2d(5, 5, 1)
        self.cat, self.cat2 = ff(), ff()

    def forward(self, x):
        x = self.conv(x)
        p, q = torch.split(x, [3, 5], dim=1)
        y = self.cat.cat([self.a(p), self.b(q)], 1)
        u, v = y.chunk(2, dim=2)
        return self.cat2.cat([v, u], 2)


class SqueezeExciteSigmoid(nn.Module):
    """SE block: mean(keepdim) -> conv -> relu -> conv -> sigmoid -> mul."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1)
        self.fc1 = nn.Conv2d(16, 4, 1)
        self.fc2 = nn.Conv2d(4, 16, 1)
        self.sig = nn.Sigmoid()
        self.mul = ff()

    def forward(self, x):
        x = torch.relu(self.conv(x))
        s = self.sig(self.fc2(torch.relu(self.fc1(x.mean((2, 3), keepdim=True)))))
        return self.mul.mul(x, s)


class LinearSoftmax(nn.Module):
    """linear into a softmax on the dequantized logits (eager has no quantized softmax module)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 10)
        self.dq = DeQuantStub()

    def forward(self, x):
        return torch.softmax(self.dq(self.fc(x)), dim=-1)


class QuantizedSoftmaxHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 10)
        self.softmax = nn.Identity()

    def forward(self, x):
        return self.softmax(self.fc(x))


def quantized_softmax_head():
    model = quantize_static(Quantized(QuantizedSoftmaxHead()), (3, 16), False)
    model.body.softmax = torch.ao.nn.quantized.Softmax(dim=-1, scale=1.0 / 256, zero_point=0)
    return model


class Linear3d(nn.Module):
    """quantized linear on [B, T, C] and linear + relu fused."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 24)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(24, 8)

    def forward(self, x):
        return self.fc2(self.relu(self.fc(x)))


def fuse_linear_relu(m):
    torch.ao.quantization.fuse_modules(m.body, [["fc", "relu"]], inplace=True)


class LayerNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 16)
        self.ln = nn.LayerNorm(16)

    def forward(self, x):
        return self.ln(self.fc(x))


class GroupNormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.gn = nn.GroupNorm(2, 8)
        self.inorm = nn.InstanceNorm2d(8, affine=True)

    def forward(self, x):
        return self.inorm(self.gn(self.conv(x)))


class PReluNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.act = nn.PReLU(8)

    def forward(self, x):
        return self.act(self.conv(x))


class DynamicLinear(nn.Module):
    """Linear layers on [B, T, C] (dynamic: fp32 in and out)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc(x)))


class Lstm(nn.Module):
    """nn.LSTM (returns the output sequence only)."""

    def __init__(self, layers=1, bidirectional=False, batch_first=True, hidden=12):
        super().__init__()
        self.lstm = nn.LSTM(10, hidden, num_layers=layers, bidirectional=bidirectional,
                            batch_first=batch_first)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), 4)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y)


class Gru(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(10, 12, batch_first=True)

    def forward(self, x):
        y, _ = self.gru(x)
        return y


# FX graph mode: float models written with functional calls, as users write them.

class FxCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.a = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1), nn.BatchNorm2d(8))
        self.b = nn.Conv2d(8, 8, 1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        y = F.relu(self.a(x) + x)
        y = torch.cat([y, self.b(y)], dim=1)
        y = self.pool(y)
        return self.fc(torch.flatten(y.mean([2, 3]), 1))


class FxFunctional(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.conv2 = nn.Conv2d(8, 8, 1)
        self.conv3 = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        x = x * 0.5
        x = x + 1.0
        x = F.relu6(x)
        x = F.hardswish(self.conv2(x))
        x = F.leaky_relu(x, 0.2)
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = torch.sigmoid(self.conv3(x))
        return x.reshape(x.shape[0], -1)


class FxSqueezeExcite(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1)
        self.fc1 = nn.Conv2d(16, 4, 1)
        self.fc2 = nn.Conv2d(4, 16, 1)
        self.act = nn.Hardswish()

    def forward(self, x):
        x = self.act(self.conv(x))
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s


class FxInvertedResidual(nn.Module):
    def __init__(self):
        super().__init__()
        self.expand = nn.Sequential(nn.Conv2d(8, 24, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(24, 24, 3, 1, 1, groups=24, bias=False), nn.BatchNorm2d(24),
                                nn.ReLU6())
        self.project = nn.Sequential(nn.Conv2d(24, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.head = nn.Conv2d(8, 16, 1)

    def forward(self, x):
        x = x + self.project(self.dw(self.expand(x)))
        x = F.hardtanh(self.head(x), 0.0, 6.0)
        return F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)


class FxTokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(3, 16, 4, 4)
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 16)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.embed(x)
        x = x.flatten(2).transpose(1, 2)
        x = x + self.fc2(F.relu(self.fc1(x)))
        x = x.mean(dim=1)
        return F.softmax(self.head(x), dim=-1)


class FxBatchNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(F.relu(self.conv(x)))


class FxConv1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv1d(4, 8, 3, 1, 1), nn.BatchNorm1d(8), nn.ReLU())
        self.b = nn.Conv1d(8, 4, 3, 2)

    def forward(self, x):
        return F.max_pool1d(self.b(self.a(x)), 2)


class FxPadChunk(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.a = nn.Conv2d(4, 4, 3, 1, 1)

    def forward(self, x):
        x = self.conv(F.pad(x, [1, 1, 1, 1]))
        c = torch.chunk(x, 2, dim=1)
        y = torch.cat([self.a(c[0]), c[1]], dim=1)
        s = y.split(4, dim=3)
        return torch.cat([s[1], s[0]], dim=3).permute(0, 2, 3, 1)


class FxDeconv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 2, 1)
        self.up = nn.ConvTranspose2d(8, 4, 2, 2)

    def forward(self, x):
        return F.interpolate(F.relu(self.up(self.conv(x))), scale_factor=2.0, mode="bilinear",
                             align_corners=False)


class ClampDropout(nn.Module):
    """Dropout / Identity (no-ops), torch.clamp and nn.Hardtanh on quantized tensors."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.drop = nn.Dropout(0.2)
        self.ident = nn.Identity()
        self.conv2 = nn.Conv2d(4, 4, 1)
        self.hardtanh = nn.Hardtanh(-1.0, 1.0)

    def forward(self, x):
        x = torch.clamp(self.ident(self.drop(self.conv(x))), -0.5, 0.8)
        return self.hardtanh(self.conv2(x))


class Contiguous(nn.Module):
    """.contiguous() of a conv's channels_last output before an out-of-place
    hardtanh (no relayout then) and a bilinear resize (NCHW rounding)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 9, 1)

    def forward(self, x):
        y = F.hardtanh(self.conv(x).contiguous(), -0.5, 0.5)
        return F.interpolate(self.conv2(y).contiguous(), scale_factor=2.0, mode="bilinear",
                             align_corners=False)


class DilatedPools(nn.Module):
    """Dilated grouped conv, dilated max pool, avg pool without padded counts."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, dilation=2, groups=2, padding=2)
        self.max = nn.MaxPool2d(3, 2, 1, dilation=2)
        self.avg = nn.AvgPool2d(3, 2, 1, count_include_pad=False)

    def forward(self, x):
        return self.avg(self.max(self.conv(x)))


class ReflectConv(nn.Module):
    """Conv2d(padding_mode='reflect'): torch.pad, then the conv packed with padding 0."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")
        self.conv2 = nn.Conv2d(4, 4, 3, padding=(1, 2), padding_mode="reflect")

    def forward(self, x):
        return self.conv2(F.relu(self.conv(x)))


class UpsampleModules(nn.Module):
    """nn.Upsample modules: quantized in eager mode; FX graph mode leaves them
    in fp32 between a dequantize and a quantize."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 9, 3)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.up2 = nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True)
        self.up3 = nn.Upsample(scale_factor=1.5, mode="bilinear")
        self.conv2 = nn.Conv2d(9, 3, 1)

    def forward(self, x):
        x = self.up2(self.up(self.conv(x)))
        return self.up3(self.conv2(x).contiguous())


class Stack(nn.Module):
    """torch.stack of quantized tensors (ATen: unsqueeze + cat)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        x = self.conv(x)
        return torch.stack([x, F.relu(x)], 1).flatten(1, 2)


class SiluNet(nn.Module):
    """nn.SiLU / F.silu: no quantized kernel, FX runs them in fp32."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.act = nn.SiLU()
        self.conv2 = nn.Conv2d(8, 20, 1)
        self.conv3 = nn.Conv2d(20, 4, 3)

    def forward(self, x):
        x = self.conv2(self.act(self.conv(x)))
        return self.conv3(F.silu(x))


class GeluMlp(nn.Module):
    """Transformer-style MLP on [B, T, C]: Linear, GELU (fp32 under FX), Linear."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.fc = nn.Linear(16, 40)
        self.act = nn.GELU(approximate=approximate)
        self.fc2 = nn.Linear(40, 8)

    def forward(self, x):
        return self.fc2(self.act(self.fc(x)))


class DynamicActivations(nn.Module):
    """Float activations between dynamically quantized linears."""

    def __init__(self):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(24, 24) for _ in range(9))
        self.acts = nn.ModuleList([nn.GELU(), nn.Tanh(), nn.Sigmoid(), nn.SiLU(), nn.Hardswish(),
                                   nn.LeakyReLU(0.2), nn.ReLU6(), nn.GELU(approximate="tanh"),
                                   nn.Hardsigmoid()])

    def forward(self, x):
        for fc, act in zip(self.fcs, self.acts):
            x = act(fc(x))
        return x


class Fpn(nn.Module):
    """FPN / UNet style: resizes to another tensor's size (size=b.shape[-2:] and
    (a.size(2), a.size(3))), adds and concatenates with the lateral path."""

    def __init__(self, functional=True):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, 1, 1)
        self.c2 = nn.Conv2d(8, 8, 3, 2, 1)
        self.c3 = nn.Conv2d(8, 8, 3, 2, 1)
        self.functional = functional
        self.add = torch.ao.nn.quantized.FloatFunctional()
        self.cat = torch.ao.nn.quantized.FloatFunctional()
        self.cat2 = torch.ao.nn.quantized.FloatFunctional()

    def forward(self, x):
        a = self.c1(x)
        b = self.c2(a)
        size = b.shape[-2:]
        c = self.c3(b)
        top = F.interpolate(c, size=size, mode="nearest")
        up = F.interpolate(b, size=(a.size(2), a.size(3)), mode="bilinear", align_corners=False)
        if self.functional:
            y = self.cat.cat([a, self.add.add(up, a)], 1)
            return self.cat2.cat([y[:, :, ::2, ::2], top], 1)
        y = torch.cat([a, up + a], 1)
        return torch.cat([y[:, :, ::2, ::2], top], 1)


def quantize_fx(model, shape, per_channel=False):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    model.eval()
    recalibrate_batchnorm(model, shape)
    mapping = get_default_qconfig_mapping(ENGINE)
    if per_channel:
        qconfig = get_default_qconfig(ENGINE)
        mapping = mapping.set_global(torch.ao.quantization.QConfig(
            activation=qconfig.activation,
            weight=torch.ao.quantization.default_per_channel_weight_observer))
    example = torch.randn(*shape)
    prepared = prepare_fx(model, mapping, (example,))
    with torch.no_grad():
        for _ in range(16):
            prepared(torch.randn(*shape))
    return convert_fx(prepared)


def eager(body, shape, per_channel=False, fuse=None):
    return lambda: quantize_static(Quantized(body()), shape, per_channel, fuse=fuse)


def fx(body, shape, per_channel=False):
    return lambda: quantize_fx(body(), shape, per_channel)


def dynamic(body, modules, **kwargs):
    return lambda: quantize_dynamic(body().eval(), modules, dtype=torch.qint8, **kwargs)


def zoo_models():
    """name -> (builder, input shape). Ordered roughly by how common the pattern is."""
    img = (1, 3, 8, 8)
    return {
        "eager_conv_bn_fused": (eager(ConvBnFused, (2, 3, 16, 16)), (2, 3, 16, 16)),
        "eager_view_size": (eager(ViewSize, img), img),
        "eager_reshape_flatten": (eager(ReshapeShape, (2, 3, 8, 8)), (2, 3, 8, 8)),
        "eager_view_minus_one": (eager(ViewMinusOne, img), img),
        "eager_mean_keepdim": (eager(MeanKeepdim, (2, 3, 6, 7)), (2, 3, 6, 7)),
        "eager_cat_dims": (eager(CatDims, (1, 3, 5, 6)), (1, 3, 5, 6)),
        "eager_interpolate": (eager(Interpolate, (1, 3, 5, 6)), (1, 3, 5, 6)),
        "eager_batchnorm": (eager(BatchNormUnfused, (2, 3, 6, 6)), (2, 3, 6, 6)),
        "eager_bn_relu": (eager(BatchNormRelu, (1, 3, 6, 6), fuse=fuse_bn_relu), (1, 3, 6, 6)),
        "eager_activations": (eager(Activations, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "eager_elu": (eager(Elu, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "eager_conv1d": (eager(Conv1dNet, (2, 4, 20), fuse=fuse_conv1d), (2, 4, 20)),
        "eager_conv_transpose": (eager(ConvTranspose, (1, 6, 5, 4)), (1, 6, 5, 4)),
        "eager_pools": (eager(Pools, (1, 3, 13, 11)), (1, 3, 13, 11)),
        "eager_scalar_ops": (eager(ScalarOps, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "eager_float_functional": (eager(FloatFunctionals, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "eager_padding": (eager(Padding, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "eager_reflect_pad": (eager(ReflectPad, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "eager_permute_linear": (eager(PermuteLinear, (2, 3, 8, 6)), (2, 3, 8, 6)),
        "eager_chunk_split": (eager(ChunkSplit, (1, 3, 6, 5)), (1, 3, 6, 5)),
        "eager_se_sigmoid": (eager(SqueezeExciteSigmoid, (1, 3, 7, 7)), (1, 3, 7, 7)),
        "eager_softmax_float": (eager(LinearSoftmax, (3, 16)), (3, 16)),
        "eager_softmax_quantized": (quantized_softmax_head, (3, 16)),
        "eager_linear_3d": (eager(Linear3d, (2, 5, 16), fuse=fuse_linear_relu), (2, 5, 16)),
        "eager_layer_norm": (eager(LayerNormNet, (2, 5, 16)), (2, 5, 16)),
        "eager_group_norm": (eager(GroupNormNet, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "eager_prelu": (eager(PReluNet, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "fx_cnn": (fx(FxCnn, (2, 3, 8, 8)), (2, 3, 8, 8)),
        "fx_functional": (fx(FxFunctional, (1, 3, 6, 6)), (1, 3, 6, 6)),
        "fx_squeeze_excite": (fx(FxSqueezeExcite, (1, 3, 7, 7)), (1, 3, 7, 7)),
        "fx_inverted_residual": (fx(FxInvertedResidual, (1, 8, 9, 9), True), (1, 8, 9, 9)),
        "fx_tokens": (fx(FxTokens, (2, 3, 16, 16)), (2, 3, 16, 16)),
        "fx_batchnorm": (fx(FxBatchNorm, (1, 3, 5, 5)), (1, 3, 5, 5)),
        "fx_conv1d": (fx(FxConv1d, (2, 4, 20)), (2, 4, 20)),
        "fx_pad_chunk": (fx(FxPadChunk, (1, 3, 6, 8)), (1, 3, 6, 8)),
        "fx_deconv": (fx(FxDeconv, (1, 3, 8, 8)), (1, 3, 8, 8)),
        "dynamic_linear_3d": (dynamic(DynamicLinear, {nn.Linear}), (2, 5, 16)),
        "dynamic_lstm": (dynamic(Lstm, {nn.LSTM, nn.Linear}), (2, 7, 10)),
        "dynamic_lstm_2layer": (dynamic(lambda: Lstm(layers=2), {nn.LSTM, nn.Linear}), (2, 7, 10)),
        "dynamic_lstm_bidirectional": (dynamic(lambda: Lstm(bidirectional=True), {nn.LSTM, nn.Linear}), (2, 7, 10)),
        "dynamic_lstm_seq_first": (dynamic(lambda: Lstm(batch_first=False), {nn.LSTM, nn.Linear}), (7, 2, 10)),
        "dynamic_lstm_hidden40": (dynamic(lambda: Lstm(hidden=40), {nn.LSTM, nn.Linear}), (3, 9, 10)),
        "dynamic_gru": (dynamic(Gru, {nn.GRU}), (2, 7, 10)),
        # Added later (appended: the seeds follow the order).
        "eager_clamp_dropout": (eager(ClampDropout, img), img),
        "eager_contiguous": (eager(Contiguous, img), img),
        "eager_dilated_pools": (eager(DilatedPools, (1, 4, 11, 11)), (1, 4, 11, 11)),
        "eager_reflect_conv": (eager(ReflectConv, img), img),
        "eager_upsample_modules": (eager(UpsampleModules, img), img),
        "fx_upsample_modules": (fx(UpsampleModules, img), img),
        "fx_stack": (fx(Stack, img), img),
        "fx_reflect_conv": (fx(ReflectConv, img), img),
        "fx_silu": (fx(SiluNet, img), img),
        "fx_gelu_mlp": (fx(GeluMlp, (2, 5, 16)), (2, 5, 16)),
        "fx_gelu_tanh_mlp": (fx(lambda: GeluMlp("tanh"), (2, 5, 16)), (2, 5, 16)),
        "dynamic_activations": (dynamic(DynamicActivations, {nn.Linear}), (3, 24)),
        "eager_fpn": (eager(Fpn, (1, 3, 16, 16)), (1, 3, 16, 16)),
        "fx_fpn": (fx(lambda: Fpn(False), (1, 3, 16, 16)), (1, 3, 16, 16)),
    }


def save_variant(model, mode, shape, out_dir, name):
    """mode 'trace' or 'script'; writes NAME.{pt,ptl,input.npy,output.npy}."""
    example = torch.randn(*shape)
    with torch.no_grad():
        module = torch.jit.trace(model, example) if mode == "trace" else torch.jit.script(model)
    pt = os.path.join(out_dir, name + ".pt")
    ptl = os.path.join(out_dir, name + ".ptl")
    torch.jit.save(module, pt)
    optimize_for_mobile(module)._save_for_lite_interpreter(ptl)
    from torch.jit.mobile import _load_for_lite_interpreter
    x = torch.randn(*shape)
    with torch.no_grad():
        y = _load_for_lite_interpreter(ptl)(x)
        y_pt = torch.jit.load(pt)(x)
    if not torch.equal(y, y_pt):
        print(f"  note: {name}: .pt and .ptl outputs differ by {float((y - y_pt).abs().max()):.3g}")
    np.save(os.path.join(out_dir, name + ".input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, name + ".output.npy"), y.numpy().astype(np.float32))


# Zoo variants committed to test/models (as zoo_NAME_MODE.*): each exercises
# operators or loader paths the small models above do not.
COMMITTED_ZOO = [
    ("eager_conv1d", "script"),          # conv1d(_relu), scripted shape checks (guards)
    ("eager_scalar_ops", "trace"),       # add_scalar / mul_scalar, both signs
    ("eager_batchnorm", "trace"),        # unfused quantized::batch_norm2d
    ("eager_chunk_split", "script"),     # split.sizes, chunk along H, scripted
    ("eager_permute_linear", "trace"),   # permute, reshape, 3-D linear, transpose, view
    ("eager_padding", "trace"),          # F.pad / ZeroPad2d (constant_pad_nd)
    ("eager_reflect_pad", "trace"),      # reflection padding
    ("eager_cat_dims", "trace"),         # cat along C, H, W and aten::cat on N
    ("fx_functional", "trace"),          # FX: mul/add .Scalar, relu6, leaky_relu, reshape
    ("fx_pad_chunk", "script"),          # FX scripted: pad, chunk, float split / cat / permute
    ("fx_conv1d", "trace"),              # FX conv1d + max_pool1d
    ("eager_pools", "script"),           # ceil_mode / padded pools, non-divisible adaptive pool
    ("fx_batchnorm", "script"),          # FX scripted: unfused batch norm after relu
    ("dynamic_lstm_bidirectional", "trace"),  # quantized_lstm, both directions, batch_first
    ("dynamic_lstm_2layer", "trace"),    # two layers
    ("dynamic_lstm_hidden40", "trace"),  # hidden 40: SLEEF-vectorized gates in PyTorch
    ("eager_interpolate", "script"),     # scripted F.interpolate (rank branches, loops); NHWC bilinear
    ("fx_deconv", "trace"),              # FX: transposed conv, bilinear on channels_last
    ("eager_activations", "script"),     # scripted activations (is_quantized checks), leaky, hardswish
    ("dynamic_gru", "trace"),            # quantized_gru
    ("eager_prelu", "trace"),            # quantized prelu (quint8 weight constant)
    ("eager_layer_norm", "trace"),       # quantized layer_norm after a 3-D linear
    ("eager_group_norm", "trace"),       # quantized group_norm and instance_norm
    ("eager_elu", "trace"),              # quantized elu
    ("eager_contiguous", "trace"),       # contiguous() sets PyTorch's memory format
    ("eager_reflect_conv", "trace"),     # padding_mode='reflect' (.pt: packed with padding 0)
    ("fx_upsample_modules", "trace"),    # fp32 nearest / bilinear (both ATen kernels)
    ("fx_stack", "script"),              # aten::stack
    ("fx_silu", "trace"),                # fp32 silu between dequantize and quantize
    ("fx_gelu_mlp", "script"),           # fp32 gelu on [B, T, C]
    ("dynamic_activations", "trace"),    # fp32 activations after dynamic linears
    ("eager_fpn", "script"),             # interpolate to x.shape[-2:] (aten::slice.t), strided slices
    ("fx_fpn", "trace"),                 # the same traced: sizes from aten::size
]


def make_zoo_committed(out_dir):
    """Writes the COMMITTED_ZOO variants as zoo_NAME_MODE.* into out_dir."""
    models = zoo_models()
    names = list(models)
    for name, mode in COMMITTED_ZOO:
        build, shape = models[name]
        seed(1000 + names.index(name))
        model = build()
        save_variant(model, mode, shape, out_dir, f"zoo_{name}_{mode}")
        print(f"zoo_{name}_{mode}: {os.path.getsize(os.path.join(out_dir, f'zoo_{name}_{mode}.ptl'))} bytes")


def make_zoo(out_dir, only):
    made = []
    for i, (name, (build, shape)) in enumerate(zoo_models().items()):
        if only and name not in only:
            continue
        seed(1000 + i)
        try:
            model = build()
            with torch.no_grad():
                model(torch.randn(*shape))
        except Exception as e:  # PyTorch itself cannot run it: not a usable model
            print(f"{name}: PyTorch cannot build or run it: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
            continue
        for mode in ("trace", "script"):
            try:
                save_variant(model, mode, shape, out_dir, f"{name}.{mode}")
                made.append(f"{name}.{mode}")
            except Exception as e:
                for ext in ("pt", "ptl", "input.npy", "output.npy"):
                    path = os.path.join(out_dir, f"{name}.{mode}.{ext}")
                    if os.path.exists(path):
                        os.remove(path)
                print(f"{name}.{mode}: PyTorch cannot save it: {type(e).__name__}: "
                      f"{str(e).splitlines()[0][:200] if str(e) else ''}")
    print(f"zoo: {len(made)} variants in {out_dir}")


# Zoo models whose output is an fp32 computation (softmax of the logits),
# compared with a relative error bound like the dynamic ones.
FLOAT_OUTPUT_ZOO = {"eager_softmax_float", "fx_tokens"}


def check_zoo(out_dir, q8_run, only):
    """Runs q8-run on every NAME.pt / NAME.ptl of out_dir; one line per file."""
    import subprocess
    names = sorted(f[:-4] for f in os.listdir(out_dir)
                   if f.endswith(".ptl") and os.path.exists(os.path.join(out_dir, f[:-4] + ".output.npy")))
    passed = 0
    total = 0
    for name in names:
        if only and name.split(".")[0] not in only:
            continue
        golden = np.load(os.path.join(out_dir, name + ".output.npy"))
        for ext in ("ptl", "pt"):
            total += 1
            out = os.path.join("/tmp", f"q8-zoo-{os.getpid()}.npy")
            r = subprocess.run([q8_run, os.path.join(out_dir, f"{name}.{ext}"), "--input",
                                os.path.join(out_dir, name + ".input.npy"), "--output", out],
                               capture_output=True, text=True)
            label = f"{name}.{ext}"
            if r.returncode != 0:
                msg = (r.stderr.strip() or r.stdout.strip()).splitlines()
                print(f"FAIL {label:44s} {msg[-1][:220] if msg else 'exit %d' % r.returncode}")
                continue
            y = np.load(out)
            os.remove(out)
            if y.shape != golden.shape:
                print(f"FAIL {label:44s} shape {y.shape}, PyTorch {golden.shape}")
                continue
            diff = np.abs(y.astype(np.float64) - golden)
            exact = 100.0 * np.mean(y == golden) if y.size else 100.0
            if name.startswith("dynamic") or name.split(".")[0] in FLOAT_OUTPUT_ZOO:
                rel = float(diff.max() / max(np.abs(golden).max(), 1e-30)) if y.size else 0.0
                ok = rel <= 1e-4
                print(f"{'ok  ' if ok else 'FAIL'} {label:44s} exact {exact:6.2f}%  max rel {rel:.3g}")
            else:
                values = np.unique(golden)
                step = np.min(np.diff(values)) if len(values) > 1 else 0.0
                lsb = float(diff.max() / step) if step > 0 else float(diff.max() > 0) * 1e9
                ok = lsb <= 1.001 and exact >= 99.0
                print(f"{'ok  ' if ok else 'FAIL'} {label:44s} exact {exact:6.2f}%  max {lsb:.2f} LSB")
            passed += ok
    print(f"zoo check: {passed}/{total} files pass")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--torchvision", nargs="*", default=None,
                        help="torchvision quantizable models to make instead of the small ones")
    parser.add_argument("--per-channel", action="store_true", help="per-channel weights (torchvision)")
    parser.add_argument("--only", nargs="*", help="make only these small (or zoo) models")
    parser.add_argument("--zoo", action="store_true",
                        help="make the zoo of user-style models (eager, FX, dynamic; traced and scripted)")
    parser.add_argument("--zoo-committed", action="store_true",
                        help="make the zoo variants committed to test/models (COMMITTED_ZOO)")
    parser.add_argument("--check", metavar="Q8_RUN",
                        help="run q8-run on every model in OUT_DIR and compare with PyTorch's output")
    args = parser.parse_args()
    torch.backends.quantized.engine = ENGINE
    if args.check:
        check_zoo(args.out_dir, args.check, args.only)
        return
    os.makedirs(args.out_dir, exist_ok=True)
    if args.zoo:
        make_zoo(args.out_dir, args.only)
        return
    if args.zoo_committed:
        make_zoo_committed(args.out_dir)
        return
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
