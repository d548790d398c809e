#!/usr/bin/env python3
"""Match rate of q8's pooling-family operators against PyTorch 1.13.1 (qnnpack).

Loads the q8 shared library (build/dev/libq8.so, or the path in $Q8_LIB)
through ctypes, runs each operator on random NHWC inputs and compares every
output byte with torch on the same data (NCHW contiguous tensors, and
channels_last tensors where PyTorch rounds differently). Prints, per op,
matching elements / total. Documents the verification; not part of ctest.
Run with the python that has torch: /usr/bin/python3 tools/check_pooling_numerics.py
"""
import ctypes as C
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.backends.quantized.engine = "qnnpack"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
lib = C.CDLL(os.environ.get("Q8_LIB", os.path.join(ROOT, "build/dev/libq8.so")))
u32, sz, u8, f32, i32, b = C.c_uint32, C.c_size_t, C.c_uint8, C.c_float, C.c_int32, C.c_bool


class Q(C.Structure):
    _fields_ = [("scale", f32), ("zero_point", i32)]


class Err(C.Structure):
    _fields_ = [("status", C.c_int), ("message", C.c_char * 256)]


class MaxP(C.Structure):
    _fields_ = [(n, u32) for n in ("pt", "pr", "pb", "pl", "kh", "kw", "sh", "sw", "dh", "dw")] + [
        ("ceil", b), ("channels", sz), ("ips", sz), ("ops", sz), ("omin", u8), ("omax", u8)]


class AvgP(C.Structure):
    _fields_ = [(n, u32) for n in ("pt", "pr", "pb", "pl", "kh", "kw", "sh", "sw")] + [
        ("ceil", b), ("cip", b), ("div", u32), ("cl", b), ("channels", sz), ("ips", sz),
        ("ops", sz), ("inq", Q), ("outq", Q), ("omin", u8), ("omax", u8)]


class AdaP(C.Structure):
    _fields_ = [("oh", sz), ("ow", sz), ("cl", b), ("channels", sz), ("ips", sz), ("ops", sz),
                ("inq", Q), ("outq", Q), ("omin", u8), ("omax", u8)]


class GavgP(C.Structure):
    _fields_ = [("channels", sz), ("ips", sz), ("os", sz), ("inq", Q), ("outq", Q),
                ("omin", u8), ("omax", u8)]


class CatP(C.Structure):
    _fields_ = [("n", sz), ("ch", C.POINTER(sz)), ("strides", C.POINTER(sz)),
                ("qs", C.POINTER(Q)), ("outq", Q), ("ops", sz)]


class ShufP(C.Structure):
    _fields_ = [("groups", u32), ("gc", sz), ("ips", sz), ("ops", sz)]


class ResP(C.Structure):
    _fields_ = [("mode", C.c_int), ("ac", b), ("oh", sz), ("ow", sz), ("sh", C.c_double),
                ("sw", C.c_double), ("channels", sz), ("ips", sz), ("ops", sz), ("zp", i32)]


class SoftP(C.Structure):
    _fields_ = [("channels", sz), ("ips", sz), ("ops", sz), ("inq", Q), ("outq", Q)]


P = C.c_void_p
U8P = C.POINTER(C.c_uint8)
rng = np.random.default_rng(1234)


def ptr(a):
    return a.ctypes.data_as(U8P)


def run(create, params, setup_args):
    op, err = P(), Err()
    st = create(C.byref(params), 0, C.byref(op), C.byref(err))
    assert st == 0, err.message
    st = setup_args(op, err)
    assert st == 0, err.message
    assert lib.q8_operator_run(op, None, C.byref(err)) == 0, err.message
    lib.q8_operator_delete(op)


def qtensor(codes_nhwc, scale, zp, channels_last):
    t = torch.from_numpy(codes_nhwc.astype(np.float32)).permute(0, 3, 1, 2)
    x = torch._make_per_tensor_quantized_tensor(t.to(torch.uint8).contiguous(), scale, zp)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def nhwc(q):
    return q.int_repr().permute(0, 2, 3, 1).contiguous().numpy()


def rand_scale():
    # Power-of-two scales half of the time: they create exact ties.
    return float(2.0 ** rng.integers(-8, 2)) if rng.integers(2) else float(np.float32(rng.uniform(0.001, 1)))


def rand_zp():
    return int(rng.choice([0, 128, 255])) if rng.integers(2) else int(rng.integers(0, 256))


def rand_input(n, h, w, c):
    return rng.integers(0, 256, size=(n, h, w, c), dtype=np.uint8)


results = {}


def tally(name, expected, actual, info=None):
    if os.environ.get("Q8_DEBUG") and (expected != actual).any():
        idx = np.argwhere(expected != actual)[0]
        print("MISMATCH", name, info, "at", idx.tolist(), "torch", expected[tuple(idx)], "q8", actual[tuple(idx)],
              "count", int((expected != actual).sum()))
    m, t = results.get(name, (0, 0))
    results[name] = (m + int((expected == actual).sum()), t + expected.size)


def check_max(cases=600):
    for _ in range(cases):
        kh, kw = (int(v) for v in rng.integers(1, 5, 2))
        sh, sw = (int(v) for v in rng.integers(1, 4, 2))
        dh, dw = (int(v) for v in rng.integers(1, 3, 2))
        ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
        ceil = bool(rng.integers(2))
        n, c = int(rng.integers(1, 3)), int(rng.choice([1, 3, 8, 17]))
        h = int(rng.integers(dh * (kh - 1) + 1, 14))
        w = int(rng.integers(dw * (kw - 1) + 1, 14))
        x = rand_input(n, h, w, c)
        try:  # QNNPACK refuses 1x1 max pooling
            ref = nhwc(F.max_pool2d(qtensor(x, 0.1, 3, bool(rng.integers(2))), (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil))
        except RuntimeError:
            continue
        out = np.full(ref.shape, 0xA5, np.uint8)
        p = MaxP(ph, pw, ph, pw, kh, kw, sh, sw, dh, dw, ceil, c, 0, 0, 0, 255)
        oh, ow = sz(), sz()
        run(lib.q8_max_pooling2d_create_nhwc, p,
            lambda op, e: lib.q8_max_pooling2d_setup_nhwc(op, n, h, w, ptr(x), ptr(out), C.byref(oh), C.byref(ow), C.byref(e)))
        assert (oh.value, ow.value) == ref.shape[1:3], ((oh.value, ow.value), ref.shape)
        tally("max_pool2d", ref, out, (n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, ceil))


def check_avg(cases=800):
    for i in range(cases):
        kh, kw = (int(v) for v in rng.integers(1, 5, 2))
        sh, sw = (int(v) for v in rng.integers(1, 4, 2))
        ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
        ceil, cip = bool(i % 2), bool(rng.integers(2))
        div = int(rng.choice([0, 0, 3, 4, 5]))
        cl = bool((i // 2) % 2)
        n, c = int(rng.integers(1, 3)), int(rng.choice([1, 3, 8, 17]))
        h, w = int(rng.integers(kh, 14)), int(rng.integers(kw, 14))
        s, z = rand_scale(), rand_zp()
        x = rand_input(n, h, w, c)
        try:
            ref = nhwc(F.avg_pool2d(qtensor(x, s, z, cl), (kh, kw), (sh, sw), (ph, pw), ceil, cip, div or None))
        except RuntimeError:
            continue
        cl = cl or c == 1  # a C=1 tensor is also channels_last: PyTorch takes that kernel
        out = np.full(ref.shape, 0xA5, np.uint8)
        p = AvgP(ph, pw, ph, pw, kh, kw, sh, sw, ceil, cip, div, cl, c, 0, 0, Q(s, z), Q(s, z), 0, 255)
        run(lib.q8_avg_pooling2d_create_nhwc, p,
            lambda op, e: lib.q8_avg_pooling2d_setup_nhwc(op, n, h, w, ptr(x), ptr(out), None, None, C.byref(e)))
        tally("avg_pool2d ceil_mode=%s %s" % (ceil, "channels_last" if cl else "NCHW"), ref, out, (n, h, w, c, kh, kw, sh, sw, ph, pw, cip, div, s, z))


def check_adaptive(cases=600):
    for i in range(cases):
        cl = bool(i % 2)
        n, c = int(rng.integers(1, 3)), int(rng.choice([1, 3, 8, 17]))
        h, w = int(rng.integers(1, 15)), int(rng.integers(1, 15))
        if i % 3 == 0:  # divisible sizes: the QNNPACK path
            oh = int(rng.choice([d for d in range(1, h + 1) if h % d == 0]))
            ow = int(rng.choice([d for d in range(1, w + 1) if w % d == 0]))
        else:
            oh, ow = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        s, z = rand_scale(), rand_zp()
        x = rand_input(n, h, w, c)
        ref = nhwc(F.adaptive_avg_pool2d(qtensor(x, s, z, cl), (oh, ow)))
        cl = cl or c == 1  # a C=1 tensor is also channels_last: PyTorch takes that kernel
        out = np.full(ref.shape, 0xA5, np.uint8)
        p = AdaP(oh, ow, cl, c, 0, 0, Q(s, z), Q(s, z), 0, 255)
        run(lib.q8_adaptive_avg_pooling2d_create_nhwc, p,
            lambda op, e: lib.q8_adaptive_avg_pooling2d_setup_nhwc(op, n, h, w, ptr(x), ptr(out), C.byref(e)))
        tally("adaptive_avg_pool2d %s" % ("channels_last" if cl else "NCHW"), ref, out, (n, h, w, c, oh, ow, s, z))


def check_mean(cases=400):
    for i in range(cases):
        cl, keep = bool(i % 2), bool((i // 2) % 2)
        n, c = int(rng.integers(1, 3)), int(rng.choice([1, 3, 8, 17, 129]))
        h, w = int(rng.integers(1, 15)), int(rng.integers(1, 15))
        s, z = rand_scale(), rand_zp()
        x = rand_input(n, h, w, c)
        ref = torch.mean(qtensor(x, s, z, cl), [2, 3], keepdim=keep).int_repr().reshape(n, c).numpy()
        out = np.full((n, c), 0xA5, np.uint8)
        p = GavgP(c, 0, 0, Q(s, z), Q(s, z), 0, 255)
        run(lib.q8_global_avg_pooling2d_create_nhwc, p,
            lambda op, e: lib.q8_global_avg_pooling2d_setup_nhwc(op, n, h, w, ptr(x), ptr(out), C.byref(e)))
        tally("mean([2,3]) / global avg pool", ref, out)
        ada = nhwc(F.adaptive_avg_pool2d(qtensor(x, s, z, cl), 1)).reshape(n, c)
        tally("adaptive_avg_pool2d(1) vs mean (torch vs torch)", ref, ada)


def check_cat(cases=400):
    for i in range(cases):
        cl = bool(i % 2)
        k = int(rng.integers(1, 5))
        n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 8)), int(rng.integers(1, 8))
        chans = [int(rng.choice([1, 3, 7, 17])) for _ in range(k)]
        qs = [(rand_scale(), rand_zp()) for _ in range(k)]
        so, zo = (qs[0] if rng.integers(3) == 0 else (rand_scale(), rand_zp()))
        xs = [rand_input(n, h, w, ch) for ch in chans]
        ref = nhwc(torch.ops.quantized.cat([qtensor(x, s, z, cl) for x, (s, z) in zip(xs, qs)], 1, so, zo))
        out = np.full(ref.shape, 0xA5, np.uint8)
        ch_arr = (sz * k)(*chans)
        q_arr = (Q * k)(*[Q(s, z) for s, z in qs])
        in_arr = (U8P * k)(*[ptr(x) for x in xs])
        p = CatP(k, ch_arr, None, q_arr, Q(so, zo), 0)
        run(lib.q8_concat_create_nhwc, p,
            lambda op, e: lib.q8_concat_setup_nhwc(op, n, h, w, in_arr, ptr(out), C.byref(e)))
        tally("cat(dim=1) %s" % ("channels_last" if cl else "NCHW"), ref, out)


def check_shuffle(cases=200):
    for _ in range(cases):
        g, gc = int(rng.integers(1, 6)), int(rng.integers(1, 9))
        n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
        x = rand_input(n, h, w, g * gc)
        q = qtensor(x, 0.5, 7, False)
        ref = nhwc(q.view(n, g, gc, h, w).transpose(1, 2).contiguous().view(n, g * gc, h, w))
        out = np.full(ref.shape, 0xA5, np.uint8)
        run(lib.q8_channel_shuffle_create_nhwc, ShufP(g, gc, 0, 0),
            lambda op, e: lib.q8_channel_shuffle_setup_nhwc(op, n, h, w, ptr(x), ptr(out), C.byref(e)))
        tally("channel shuffle (view/transpose/view)", ref, out)


def check_resize(cases=800):
    for i in range(cases):
        bilinear, ac = bool(i % 2), bool((i // 2) % 2)
        cl = bool((i // 4) % 2)
        n, c = int(rng.integers(1, 3)), int(rng.choice([1, 3, 8, 17]))
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        if cl and h == 1 and w == 1:
            h = 2  # PyTorch scrambles 1x1 channels_last inputs (docs/pytorch-numerics.md 7b)
        z = rand_zp()
        x = rand_input(n, h, w, c)
        use_scale = (i // 8) % 2 == 1 and not (bilinear and ac)
        if use_scale:
            sfh, sfw = float(rng.choice([0.5, 1.5, 2.0, 2.5, 3.0, 0.75, 1.3])), float(rng.choice([0.5, 1.5, 2.0, 1.7]))
            kwargs = dict(scale_factor=(sfh, sfw))
        else:
            sfh = sfw = 0.0
            kwargs = dict(size=(int(rng.integers(1, 20)), int(rng.integers(1, 20))))
        mode = "bilinear" if bilinear else "nearest"
        try:
            r = F.interpolate(qtensor(x, 0.1, z, cl), mode=mode,
                              align_corners=ac if bilinear else None, **kwargs)
        except RuntimeError:
            continue
        ref = nhwc(r)
        oh, ow = ref.shape[1:3]
        if oh == 0 or ow == 0:
            continue
        out = np.full(ref.shape, 0xA5, np.uint8)
        p = ResP(int(bilinear), ac, oh, ow, sfh, sfw, c, 0, 0, z)
        run(lib.q8_resize2d_create_nhwc, p,
            lambda op, e: lib.q8_resize2d_setup_nhwc(op, n, h, w, ptr(x), ptr(out), C.byref(e)))
        name = "upsample_%s%s %s" % (mode, " align_corners=%s" % ac if bilinear else "",
                                     "channels_last" if cl else "NCHW")
        if bilinear and (cl or c == 1):  # C=1 tensors are channels_last too
            name = name.replace(" NCHW", " channels_last") + " (PyTorch's AVX2 kernel: not reproduced)"
        tally(name, ref, out, (n, h, w, c, oh, ow, sfh, sfw, z))


def check_softmax(cases=400):
    for i in range(cases):
        qnn = i % 2 == 0
        n, c = int(rng.integers(1, 3)), int(rng.choice([1, 3, 7, 17, 129]))
        h, w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        s, z = float(np.float32(rng.uniform(0.01, 0.3))), rand_zp()
        so, zo = (1.0 / 256.0, 0) if qnn else (float(np.float32(rng.uniform(0.002, 0.01))), int(rng.integers(0, 20)))
        x = rand_input(n, h, w, c)
        ref = nhwc(torch.ops.quantized.softmax(qtensor(x, s, z, False), 1, so, zo))
        out = np.full(ref.shape, 0xA5, np.uint8)
        p = SoftP(c, 0, 0, Q(s, z), Q(so, zo))
        run(lib.q8_softmax_create_nc, p,
            lambda op, e: lib.q8_softmax_setup_nc(op, n * h * w, ptr(x), ptr(out), C.byref(e)))
        tally("softmax(dim=1) %s" % ("output (1/256, 0): QNNPACK" if qnn else "other output qparams: fp32"), ref, out)


def main():
    for f in (check_max, check_avg, check_adaptive, check_mean, check_cat, check_shuffle,
              check_resize, check_softmax):
        f()
    width = max(len(k) for k in results)
    for k, (m, t) in sorted(results.items()):
        print("%-*s  %9d / %9d  %s" % (width, k, m, t, "exact" if m == t else "%.4f%%" % (100.0 * m / t)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
