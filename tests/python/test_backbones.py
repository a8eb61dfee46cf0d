"""Pretrained starts for training: converted backbones equal their originals' own outputs."""

import json

import numpy as np
import pytest

import dfd
from dfd import convert, tfjs_graph

from conftest import read_safetensors

FACERES = "weights/faceres_vladmandic/faceres-deep.json"


def _relative(ours, reference):
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


@pytest.fixture(scope="module")
def faceres(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("faceres") / "faceres.safetensors"
    convert.convert(shared / FACERES, out, "mobilenet_v1")
    return dfd.Model.load("mobilenet_v1", str(out))


@pytest.mark.parametrize("case", ["albpcygegi", "aodqmfpuhg", "aodscsqoyc", "synthetic_randint_seed1"])
def test_faceres_equals_tfjs(shared, faceres, case):
    """faceres-deep as TensorFlow.js ran it (golden g11): the last activation, the 1024-d descriptor,
    and the age/gender heads computed from our `fc` output (feats before its ReLU) with the graph's
    own head weights. Input: RGB in [0, 255], no normalisation."""
    golden, _ = read_safetensors(shared / f"golden/g11_faceres/{case}.safetensors")
    x = np.ascontiguousarray(golden["image_u8"].astype(np.float32).transpose(2, 0, 1)[None])
    feats, maps = faceres.forward(x, ["features", "global_pooling"])
    tolerance = 1e-4
    assert _relative(maps["features"], golden["faceres-deep/conv_pw_13_relu/clip_by_value"].transpose(0, 3, 1, 2)) < tolerance
    assert _relative(maps["global_pooling"], golden["faceres-deep/global_pooling/Mean:0"]) < tolerance
    heads = tfjs_graph.read_graph_model(shared / FACERES).weights
    hidden = np.maximum(feats, 0)
    gender = 1 / (1 + np.exp(-(hidden @ heads["gender_pred/kernel"] + heads["gender_pred/bias"])))
    age = hidden @ heads["age_pred/kernel"] + heads["age_pred/bias"]
    age = np.exp(age - age.max())
    age /= age.sum()
    assert _relative(gender, golden["faceres-deep/gender_pred/Sigmoid:0"]) < tolerance
    assert _relative(age, golden["faceres-deep/age_pred/Softmax:0"]) < tolerance


def test_faceres_conversion_records_provenance(shared, tmp_path):
    out = tmp_path / "f.safetensors"
    tensors = convert.convert(shared / FACERES, out, "mobilenet_v1")
    _, meta = read_safetensors(out)
    assert meta["arch"] == "mobilenet_v1" and meta["source"] == "faceres-deep.json"
    assert meta["source_sha256"] == convert.sha256_of(shared / FACERES)
    assert tensors["conv_dw_1.weight"].shape == (32, 1, 3, 3) and tensors["fc.weight"].shape == (256, 1024)


def test_tfjs_graph_errors_name_the_file(shared, tmp_path):
    spec = json.loads((shared / FACERES).read_text())
    # A shard shorter than its manifest says.
    (tmp_path / "faceres-deep.bin").write_bytes((shared / "weights/faceres_vladmandic/faceres-deep.bin").read_bytes()[:1000])
    (tmp_path / "faceres-deep.json").write_text(json.dumps(spec))
    with pytest.raises(convert.ConversionError, match="faceres-deep.json: the shards end inside"):
        convert.convert(tmp_path / "faceres-deep.json", tmp_path / "x.safetensors", "mobilenet_v1")
    # A graph whose convolution pads VALID is not the model libdfd runs.
    (tmp_path / "faceres-deep.bin").write_bytes((shared / "weights/faceres_vladmandic/faceres-deep.bin").read_bytes())
    for node in spec["modelTopology"]["node"]:
        if node["name"] == "conv_dw_2/depthwise":
            node["attr"]["padding"]["s"] = "VkFMSUQ="  # "VALID"
    (tmp_path / "faceres-deep.json").write_text(json.dumps(spec))
    with pytest.raises(convert.ConversionError, match="conv_dw_2/depthwise.*SAME"):
        convert.convert(tmp_path / "faceres-deep.json", tmp_path / "x.safetensors", "mobilenet_v1")
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(convert.ConversionError, match="notes.json: not a TensorFlow.js graph model"):
        convert.convert(tmp_path / "notes.json", tmp_path / "x.safetensors", "mobilenet_v1")


MOBILENET_V2 = "weights/mobilenet_coral/mobilenet_v2_1.0_224_quant.tflite"


def _run_tflite_graph(graph, x):
    """The TFLite file's own operator list, run in float on its dequantised constants by torch's
    functional ops: independent of libdfd's mobilenet_v2 (its wiring, names and padding). Returns
    the logits and, per quantised activation, the share of values outside the range its uint8
    quantisation can hold (the file's calibration: a wrong scale or zero point would break it)."""
    import torch
    import torch.nn.functional as F
    from dfd import tflite_model as tfl

    def same(t, k, s):
        def pads(n):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            return total // 2, total - total // 2
        (top, bottom), (left, right) = pads(t.shape[2]), pads(t.shape[3])
        return F.pad(t, (left, right, top, bottom))

    values = {graph.operators[0].inputs[0]: torch.tensor(x)}
    outside = []
    for op in graph.operators:
        t = values[op.inputs[0]]
        if op.code in (tfl.CONV_2D, tfl.DEPTHWISE_CONV_2D):
            w = torch.tensor(graph.tensors[op.inputs[1]].value)
            b = torch.tensor(graph.tensors[op.inputs[2]].value)
            depthwise = op.code == tfl.DEPTHWISE_CONV_2D
            w = w.permute(3, 0, 1, 2) if depthwise else w.permute(0, 3, 1, 2)
            y = F.conv2d(same(t, w.shape[2], op.stride), w, b, op.stride, groups=t.shape[1] if depthwise else 1)
            y = y.clamp(0, 6) if op.activation == "relu6" else y
        elif op.code == tfl.ADD:
            y = t + values[op.inputs[1]]
        elif op.code == tfl.AVERAGE_POOL_2D:
            y = t.mean((2, 3), keepdim=True)
        elif op.code == tfl.RESHAPE:
            y = t.reshape(t.shape[0], -1)
        elif op.code == tfl.SOFTMAX:
            y = t  # the logits
        else:
            raise AssertionError(f"operator {op.code} not expected in MobileNetV2")
        q = graph.tensors[op.outputs[0]]
        if q.scale and op.code != tfl.SOFTMAX:
            low, high = -q.zero_point[0] * q.scale[0], (255 - q.zero_point[0]) * q.scale[0]
            outside.append(float(((y < low - q.scale[0]) | (y > high + q.scale[0])).float().mean()))
        values[op.outputs[0]] = y
    return y.numpy(), outside


def test_mobilenet_v2_equals_its_tflite_graph(shared, tmp_path):
    """MobileNetV2 from the quantised TFLite file: libdfd's model on the converted weights equals the
    file's own graph run in float, and every activation stays inside the uint8 range the file
    calibrated for it (no TFLite runtime here to run the integer kernels themselves)."""
    from dfd import tflite_model

    out = tmp_path / "mnv2.safetensors"
    convert.convert(shared / MOBILENET_V2, out, "mobilenet_v2")
    model = dfd.Model.load("mobilenet_v2", str(out))
    assert model.info.num_outputs == 1001
    graph = tflite_model.read_tflite(shared / MOBILENET_V2)
    golden, _ = read_safetensors(shared / "golden/g11_faceres/albpcygegi.safetensors")  # a real face, 224x224
    rng = np.random.RandomState(1)
    for image in (golden["image_u8"], rng.randint(0, 256, (224, 224, 3), np.uint8)):
        x = np.ascontiguousarray(((image.astype(np.float32) - 128) / 128).transpose(2, 0, 1)[None])  # the input's quantisation
        reference, outside = _run_tflite_graph(graph, x)
        assert _relative(model.forward(x), reference) < 1e-4
        assert max(outside) < 1e-3


def test_tflite_errors_name_the_file(shared, tmp_path):
    bad = tmp_path / "model.tflite"
    bad.write_bytes((shared / MOBILENET_V2).read_bytes()[:5000])
    with pytest.raises(convert.ConversionError, match="model.tflite"):
        convert.convert(bad, tmp_path / "x.safetensors", "mobilenet_v2")
    # A TFLite model of another network (MobileNetV1's embedding extractor) is refused by name.
    with pytest.raises(convert.ConversionError, match="expected a 1x1 convolution|not a MobileNetV2"):
        convert.convert(shared / "weights/mobilenet_coral/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
                        tmp_path / "y.safetensors", "mobilenet_v2")
