#!/usr/bin/env python3
"""Writes the seed corpora under test/fuzz/corpus/ from the committed models.

archive: whole model files; pickle: the pickles inside them; bytecode,
torchscript, model: bundles (fuzz-bundle.h) of a model's entries, without
the .debug_pkl files (and without code/ for a .ptl), to keep seeds small.
Run from anywhere: python3 test/fuzz/make-corpus.py
"""
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "models")
CORPUS = os.path.join(HERE, "corpus")


def model(name):
    fixtures = os.path.join(MODELS, "fixtures", name)
    return fixtures if os.path.exists(fixtures) else os.path.join(MODELS, name)


def entries(path):
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            relative = info.filename.split("/", 1)[1]
            yield relative, z.read(info)


def bundle(path):
    out = bytearray()
    for relative, data in entries(path):
        if relative.endswith(".debug_pkl"):
            continue
        if path.endswith(".ptl") and relative.startswith("code/"):
            continue
        name = relative.encode()
        out += bytes([len(name)]) + name + struct.pack("<I", len(data)) + data
    return bytes(out)


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


for m in ["tiny.ptl", "tiny.pt", "upsample.ptl"]:
    with open(model(m), "rb") as f:
        write("archive", m, f.read())
for m in ["tiny.ptl", "tiny.pt", "residual.ptl"]:
    for relative, data in entries(model(m)):
        if relative.endswith(".pkl"):
            write("pickle", m.replace(".", "-") + "-" + relative, data)
for m in ["tiny.ptl", "conv_blocks.ptl", "residual.ptl", "squeeze_excite.ptl", "upsample.ptl"]:
    write("bytecode", m + ".bundle", bundle(model(m)))
for m in ["tiny.pt", "upsample.pt", "residual.pt", "squeeze_excite.pt"]:
    write("torchscript", m + ".bundle", bundle(model(m)))
for m in ["tiny.ptl", "residual.ptl", "tiny.pt", "upsample.pt"]:
    write("model", m + ".bundle", bundle(model(m)))
# User-style models (tools/make_models.py --zoo-committed): recurrent layers,
# normalizations, layout ops and scripted control flow reach more of both
# front ends and the lowering.
ZOO = ["zoo_dynamic_lstm_2layer_trace", "zoo_dynamic_gru_trace", "zoo_eager_batchnorm_trace",
       "zoo_eager_chunk_split_script", "zoo_eager_layer_norm_trace", "zoo_fx_pad_chunk_script",
       "zoo_eager_interpolate_script", "zoo_eager_permute_linear_trace"]
for z in ZOO:
    write("bytecode", z + ".ptl.bundle", bundle(model(z + ".ptl")))
    write("torchscript", z + ".pt.bundle", bundle(model(z + ".pt")))
    write("model", z + ".ptl.bundle", bundle(model(z + ".ptl")))
