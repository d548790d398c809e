#!/usr/bin/env python3
"""Compares q8's elementwise operators (through libq8.so, via ctypes) with
PyTorch 1.13.1's quantized ops on the qnnpack engine, and prints how many
output elements are bit-identical. Not part of the test suite: it documents
the verification behind include/q8/elementwise.h.

usage: /usr/bin/python3 tools/check_elementwise_numerics.py [--golden] [path/to/libq8.so]
  --golden: print PyTorch's tables for test/reference-elementwise.c instead
"""
import ctypes as C
import math
import os
import sys

import numpy as np
import torch

torch.backends.quantized.engine = "qnnpack"
HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
LIB = ARGS[0] if ARGS else os.path.join(HERE, "..", "build", "dev", "libq8.so")
q8 = C.CDLL(LIB)


class Quant(C.Structure):
    _fields_ = [("scale", C.c_float), ("zero_point", C.c_int32)]


class Error(C.Structure):
    _fields_ = [("status", C.c_int), ("message", C.c_char * 256)]


class UnaryParams(C.Structure):
    _fields_ = [("min", C.c_float), ("max", C.c_float), ("negative_slope", C.c_float),
                ("alpha", C.c_float), ("scale", C.c_float), ("input_scale", C.c_float)]


P = C.c_void_p
U8P = C.POINTER(C.c_uint8)
SZP = C.POINTER(C.c_size_t)
q8.q8_unary_create.argtypes = [C.c_int, C.POINTER(UnaryParams), Quant, Quant, C.c_int,
                               C.POINTER(P), C.POINTER(Error)]
q8.q8_unary_table.argtypes = [P]
q8.q8_unary_table.restype = U8P
for name in ("q8_add_nd_create", "q8_multiply_nd_create"):
    getattr(q8, name).argtypes = [Quant, Quant, Quant, C.c_uint8, C.c_uint8, C.c_int,
                                  C.POINTER(P), C.POINTER(Error)]
for name in ("q8_add_nd_setup", "q8_multiply_nd_setup"):
    getattr(q8, name).argtypes = [P, C.c_size_t, SZP, C.c_size_t, SZP, P, P, P, C.POINTER(Error)]
q8.q8_quantize_create.argtypes = [Quant, C.c_int, C.POINTER(P), C.POINTER(Error)]
q8.q8_dequantize_create.argtypes = [Quant, C.c_int, C.POINTER(P), C.POINTER(Error)]
for name in ("q8_quantize_setup", "q8_dequantize_setup"):
    getattr(q8, name).argtypes = [P, C.c_size_t, C.c_size_t, C.c_size_t, C.c_size_t, P, P,
                                  C.POINTER(Error)]
q8.q8_operator_run.argtypes = [P, P, C.POINTER(Error)]
q8.q8_operator_delete.argtypes = [P]

KINDS = ["requantize", "relu", "clamp", "leaky_relu", "elu", "hardswish", "hardsigmoid",
         "sigmoid", "tanh"]
RESULTS = []


def check(status, err):
    if status != 0:
        raise RuntimeError(err.message.decode())


def run_op(op, err):
    check(q8.q8_operator_run(op, None, C.byref(err)), err)
    q8.q8_operator_delete(op)


def report(name, same, total):
    RESULTS.append((name, same, total))
    print(f"{name:58s} {same:9d} / {total:9d}  {100.0 * same / total:8.4f}%", flush=True)


def qtensor(values, scale, zp):
    return torch._make_per_tensor_quantized_tensor(torch.as_tensor(values, dtype=torch.uint8),
                                                   scale, zp)


def rng_scale(rng, lo, hi, power_of_two=False):
    s = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return float(2.0 ** round(math.log2(s))) if power_of_two else float(np.float32(s))


def rng_zp(rng):
    return int(rng.choice([0, 128, 255])) if rng.random() < 0.5 else int(rng.integers(0, 256))


# ---------------------------------------------------------------- binary ---
def q8_binary(mul, qa, qb, qo, lo, hi, a, b):
    """a, b: uint8 numpy arrays in q8's (NHWC) layout; returns the output."""
    err, op = Error(), P()
    create = q8.q8_multiply_nd_create if mul else q8.q8_add_nd_create
    setup = q8.q8_multiply_nd_setup if mul else q8.q8_add_nd_setup
    check(create(Quant(*qa), Quant(*qb), Quant(*qo), lo, hi, 1, C.byref(op), C.byref(err)), err)
    a = np.ascontiguousarray(a)
    b = np.ascontiguousarray(b)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    y = np.zeros(out_shape, np.uint8)
    ash = (C.c_size_t * max(1, a.ndim))(*a.shape)
    bsh = (C.c_size_t * max(1, b.ndim))(*b.shape)
    check(setup(op, a.ndim, ash, b.ndim, bsh, a.ctypes.data, b.ctypes.data, y.ctypes.data,
                C.byref(err)), err)
    run_op(op, err)
    return y


def torch_binary(mul, relu, qa, qb, qo, a_nchw, b_nchw):
    ta, tb = qtensor(a_nchw, *qa), qtensor(b_nchw, *qb)
    fn = {(False, False): torch.ops.quantized.add, (False, True): torch.ops.quantized.add_relu,
          (True, False): torch.ops.quantized.mul, (True, True): torch.ops.quantized.mul_relu}
    return fn[(mul, relu)](ta, tb, qo[1] and qo[0] or qo[0], qo[1]).int_repr().numpy()


def nchw_to_nhwc(x):
    return np.transpose(x, (0, 2, 3, 1)) if x.ndim == 4 else x


def related(rng, scale, lo, hi):
    """scale * 2^k: ratios that are powers of two make exact ties, where the
    rounding of every intermediate step shows."""
    return float(np.float32(scale * 2.0 ** int(rng.integers(lo, hi + 1))))


def binary_case(rng, mul, relu, a_shape, b_shape, ratio_range=None, pow2=False):
    sa = rng_scale(rng, 0.001, 1.0)
    sb = related(rng, sa, -2, 2) if pow2 else rng_scale(rng, 0.001, 1.0)
    if ratio_range is None:
        so = related(rng, sa, -3, 3) if pow2 else rng_scale(rng, 0.002, 2.0)
    else:  # output scale from a ratio range of max(a, b) / out
        so = float(np.float32(max(sa, sb) / math.exp(rng.uniform(*map(math.log, ratio_range)))))
    qa, qb, qo = (sa, rng_zp(rng)), (sb, rng_zp(rng)), (so, rng_zp(rng))
    a = rng.integers(0, 256, a_shape, dtype=np.uint8)
    b = rng.integers(0, 256, b_shape, dtype=np.uint8)
    try:
        ref = torch_binary(mul, relu, qa, qb, qo, a, b)
    except RuntimeError:
        return None
    lo = qo[1] if relu else 0
    y = q8_binary(mul, qa, qb, qo, lo, 255, nchw_to_nhwc(a), nchw_to_nhwc(b))
    return int((nchw_to_nhwc(ref) == y).sum()), y.size


def binary_suite(name, cases, **kw):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    same = total = skipped = 0
    for i in range(cases):
        r = binary_case(rng, pow2=(i % 2 == 1), **kw)
        if r is None:
            skipped += 1
            continue
        same += r[0]
        total += r[1]
    report(name + (f" ({skipped} torch errors)" if skipped else ""), same, total)


def float_add_engine_none(rng, cases, ratio_range):
    """Ratios QNNPACK refuses: compare with ATen's float add (engine 'none')."""
    same = total = 0
    for i in range(cases):
        sa = rng_scale(rng, 0.001, 1.0)
        sb = related(rng, sa, -2, 2) if i % 2 else rng_scale(rng, 0.001, 1.0)
        so = float(np.float32(max(sa, sb) / math.exp(rng.uniform(*map(math.log, ratio_range)))))
        qa, qb, qo = (sa, rng_zp(rng)), (sb, rng_zp(rng)), (so, rng_zp(rng))
        a = rng.integers(0, 256, (1, 3, 16, 16), dtype=np.uint8)  # H*W = 256: AVX2 body only
        b = rng.integers(0, 256, (1, 3, 16, 16), dtype=np.uint8)
        torch.backends.quantized.engine = "none"
        ref = torch_binary(False, False, qa, qb, qo, a, b)
        torch.backends.quantized.engine = "qnnpack"
        y = q8_binary(False, qa, qb, qo, 0, 255, nchw_to_nhwc(a), nchw_to_nhwc(b))
        same += int((nchw_to_nhwc(ref) == y).sum())
        total += y.size
    return same, total


# ----------------------------------------------------------------- unary ---
def q8_table(kind, qi, qo, **params):
    err, op = Error(), P()
    p = UnaryParams(**params)
    check(q8.q8_unary_create(KINDS.index(kind), C.byref(p), Quant(*qi), Quant(*qo), 1,
                             C.byref(op), C.byref(err)), err)
    table = np.ctypeslib.as_array(q8.q8_unary_table(op), (256,)).copy()
    q8.q8_operator_delete(op)
    return table


def torch_unary(kind, x, qo, p):
    F = torch.nn.functional
    if kind == "requantize":
        return torch.quantize_per_tensor(x.dequantize(), qo[0], qo[1], torch.quint8)
    if kind == "relu":
        return torch.relu(x)
    if kind == "clamp":
        return torch.clamp(x, p["min"], p["max"])
    if kind == "leaky_relu":
        return torch.ops.quantized.leaky_relu(x, p["negative_slope"], False, qo[0], qo[1])
    if kind == "elu":
        return torch.ops.quantized.elu(x, qo[0], qo[1], p["alpha"], p["scale"], p["input_scale"])
    if kind == "hardswish":
        return torch.ops.quantized.hardswish(x, qo[0], qo[1])
    if kind == "hardsigmoid":
        return F.hardsigmoid(x)
    if kind == "sigmoid":
        return torch.sigmoid(x)
    return torch.tanh(x)


FORCED = {"relu": None, "clamp": None, "hardsigmoid": (1 / 256, 0), "sigmoid": (1 / 256, 0),
          "tanh": (2 / 256, 128)}


def unary_params(rng, kind, qi):
    if kind == "clamp":
        lo, hi = sorted(rng.uniform(-3, 3, 2).tolist())
        return {"min": lo, "max": hi}
    if kind == "leaky_relu":
        return {"negative_slope": float(rng.choice([0.01, 0.1, 0.2, 0.5, 1.5, rng.uniform(0, 1)]))}
    if kind == "elu":
        return {"alpha": float(rng.choice([1.0, rng.uniform(0.1, 2)])),
                "scale": float(rng.choice([1.0, rng.uniform(0.5, 2)])),
                "input_scale": float(rng.choice([1.0, rng.uniform(0.5, 2)]))}
    return {}


def unary_suite(kind, cases, repeat):
    """Every table entry against torch; `repeat` copies of 0..255 make the
    inner run 256 * repeat long (a multiple of 64: ATen's vector body only),
    or, with repeat 0, 37 elements per tensor (ATen's scalar tail only)."""
    rng = np.random.default_rng(KINDS.index(kind) + 100 * repeat)
    same = total = 0
    for i in range(cases):
        pow2 = i % 2 == 1
        qi = (rng_scale(rng, 0.005, 0.5), rng_zp(rng))
        if kind in FORCED:
            qo = FORCED[kind] or qi
            if pow2 and FORCED[kind]:  # input scales that make ties in output units
                qi = (related(rng, qo[0], 0, 6), qi[1])
        else:
            qo = (related(rng, qi[0], -2, 2) if pow2 else rng_scale(rng, 0.005, 0.5), rng_zp(rng))
        p = unary_params(rng, kind, qi)
        table = q8_table(kind, qi, qo, **p)
        if repeat:
            values = np.tile(np.arange(256, dtype=np.uint8), repeat)
            ref = torch_unary(kind, qtensor(values, *qi), qo, p).int_repr().numpy()[:256]
        else:
            ref = np.concatenate([torch_unary(kind, qtensor(np.arange(s, min(s + 37, 256),
                                                                      dtype=np.uint8), *qi),
                                              qo, p).int_repr().numpy()
                                  for s in range(0, 256, 37)])
        same += int((ref == table).sum())
        total += 256
    path = "vector body" if repeat else "scalar tail"
    report(f"unary {kind} table entries ({path})", same, total)


# --------------------------------------------------------------- convert ---
def convert_suite(cases):
    rng = np.random.default_rng(7)
    qs = qt = ds = dt = 0
    for i in range(cases):
        s = rng_scale(rng, 1e-4, 1.0, i % 4 == 0)
        z = rng_zp(rng)
        x = (rng.standard_normal(4096) * s * 100).astype(np.float32)
        x[:1024] = ((np.round(x[:1024] / s) + 0.5) * s).astype(np.float32)  # near-ties
        x[1024:1030] = [np.inf, -np.inf, np.nan, 1e30, -1e30, 3e9]
        err, op = Error(), P()
        check(q8.q8_quantize_create(Quant(s, z), 1, C.byref(op), C.byref(err)), err)
        y = np.zeros(x.size, np.uint8)
        check(q8.q8_quantize_setup(op, 1, x.size, 0, 0, x.ctypes.data, y.ctypes.data,
                                   C.byref(err)), err)
        run_op(op, err)
        ref = torch.quantize_per_tensor(torch.from_numpy(x), s, z, torch.quint8)
        qs += int((ref.int_repr().numpy() == y).sum())
        qt += x.size
        check(q8.q8_dequantize_create(Quant(s, z), 1, C.byref(op), C.byref(err)), err)
        qv = np.arange(256, dtype=np.uint8)
        d = np.zeros(256, np.float32)
        check(q8.q8_dequantize_setup(op, 1, 256, 0, 0, qv.ctypes.data, d.ctypes.data,
                                     C.byref(err)), err)
        run_op(op, err)
        dref = qtensor(qv, s, z).dequantize().numpy()
        ds += int((dref.view(np.uint32) == d.view(np.uint32)).sum())
        dt += 256
    report("quantize_per_tensor (incl. near-ties, inf, nan, 1e30)", qs, qt)
    report("dequantize (bitwise fp32)", ds, dt)


def main():
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, engine {torch.backends.quantized.engine}, lib {LIB}")
    convert_suite(200)
    for relu in (False, True):
        tag = "add_relu" if relu else "add"
        binary_suite(f"{tag} same shape, fixed point", 150, mul=False, relu=relu,
                     a_shape=(2, 5, 7, 9), b_shape=(2, 5, 7, 9))
        binary_suite(f"{tag} same shape, ratio in [2^-10, 2^8) edges", 100, mul=False, relu=relu,
                     a_shape=(1, 4, 8, 8), b_shape=(1, 4, 8, 8), ratio_range=(2**-10, 2**8 * 0.999))
        binary_suite(f"{tag} [N,C,H,W]+[N,C,1,1], H*W=256 (AVX2 body)", 60, mul=False,
                     relu=relu, a_shape=(2, 3, 16, 16), b_shape=(2, 3, 1, 1))
        binary_suite(f"{tag} [N,C,H,W]+[N,C,1,1], H*W=35 (scalar tail)", 60, mul=False,
                     relu=relu, a_shape=(2, 3, 5, 7), b_shape=(2, 3, 1, 1))
        binary_suite(f"{tag} [N,C,H,W]+[] scalar, 2*3*16*16 elements", 60, mul=False, relu=relu,
                     a_shape=(2, 3, 16, 16), b_shape=())
    rng = np.random.default_rng(11)
    report("add same shape, ratio in [2^-14, 2^-10) (q8 float rule vs torch, UB shift)",
           *float_add_engine_none_vs_qnnpack(rng, 40))
    report("add same shape, ratio outside QNNPACK's range vs engine 'none'",
           *float_add_engine_none(rng, 40, (2**8, 2**10)))
    report("add same shape, ratio in [2^-14, 2^-10) vs engine 'none'",
           *float_add_engine_none(rng, 40, (2**-14, 2**-10)))
    for relu in (False, True):
        tag = "mul_relu" if relu else "mul"
        binary_suite(f"{tag} same shape", 150, mul=True, relu=relu, a_shape=(2, 5, 7, 9),
                     b_shape=(2, 5, 7, 9))
        binary_suite(f"{tag} [N,C,H,W]*[N,C,1,1] (squeeze-excite)", 100, mul=True, relu=relu,
                     a_shape=(2, 16, 7, 7), b_shape=(2, 16, 1, 1))
        binary_suite(f"{tag} [N,C,1,1]*[N,C,H,W]", 50, mul=True, relu=relu,
                     a_shape=(1, 8, 1, 1), b_shape=(1, 8, 9, 11))
        binary_suite(f"{tag} [N,C,H,W]*[] scalar", 50, mul=True, relu=relu,
                     a_shape=(1, 3, 9, 11), b_shape=())
    for kind in KINDS:
        unary_suite(kind, 300, 4)
        if kind in ("leaky_relu", "elu"):
            unary_suite(kind, 300, 0)
    print("\nsummary:")
    for name, same, total in RESULTS:
        flag = "" if same == total else "   <-- differs"
        print(f"  {name}: {same}/{total}{flag}")


def float_add_engine_none_vs_qnnpack(rng, cases):
    same = total = 0
    for i in range(cases):
        r = binary_case(rng, False, False, (1, 4, 8, 8), (1, 4, 8, 8), (2**-14, 2**-10), i % 2)
        if r:
            same += r[0]
            total += r[1]
    return same, total


GOLDEN = [  # kind, params, input qparams, output qparams (None: PyTorch's forced)
    ("requantize", {}, (0.0372, 131), (0.0917, 7)),
    ("relu", {}, (0.05, 128), None),
    ("clamp", {"min": -1.3, "max": 2.1}, (0.021, 97), None),
    ("leaky_relu", {"negative_slope": 0.1}, (0.043, 200), (0.0215, 180)),
    ("elu", {"alpha": 1.3, "scale": 1.05, "input_scale": 0.9}, (0.031, 150), (0.017, 160)),
    ("hardswish", {}, (0.047, 121), (0.0233, 13)),
    ("hardsigmoid", {}, (0.0625, 128), (1 / 256, 0)),
    ("sigmoid", {}, (0.0371, 99), (1 / 256, 0)),
    ("tanh", {}, (0.0156, 131), (2 / 256, 128)),
]


def golden():
    """Prints PyTorch's table for each GOLDEN case as C initializers."""
    print("/* generated by tools/check_elementwise_numerics.py --golden */")
    for kind, p, qi, qo in GOLDEN:
        qi = (float(np.float32(qi[0])), qi[1])
        qo = qi if qo is None else (float(np.float32(qo[0])), qo[1])
        values = np.tile(np.arange(256, dtype=np.uint8), 4)
        ref = torch_unary(kind, qtensor(values, *qi), qo, p).int_repr().numpy()[:256]
        assert (ref == q8_table(kind, qi, qo, **p)).all(), kind
        fields = ", ".join(f".{k} = {v!r}f" for k, v in p.items())
        group = {"min": "clamp", "max": "clamp", "negative_slope": "leaky_relu"}.get(
            next(iter(p), ""), "elu")
        params = "{" + (f".{group} = {{{fields}}}" if p else "") + "}"
        print(f"    {{q8_unary_{kind}, {params}, {{{qi[0]!r}f, {qi[1]}}}, "
              f"{{{qo[0]!r}f, {qo[1]}}},\n     \"{bytes(ref).hex()}\"}},")


if __name__ == "__main__":
    golden() if "--golden" in sys.argv else main()
