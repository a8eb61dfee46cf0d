"""TensorFlow.js graph models (model.json + weight shards) read without TensorFlow.

read_graph_model(json) gives the graph's nodes and its weights as numpy arrays (dequantised when
the manifest says they were quantised); mobilenet_v1_tensors() maps faceres-deep's Keras
MobileNetV1 graph onto libdfd's mobilenet_v1 names. The graph is checked, not trusted: every
convolution the mapping uses must be there, with the op, stride and SAME padding the C++ model runs.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
_QUANTISED = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


class GraphModelError(Exception):
    """The files are not the graph model expected; the message names the file and the cause."""


@dataclass
class GraphModel:
    path: Path
    nodes: dict[str, dict]          # name -> GraphDef node (op, input, attr)
    weights: dict[str, np.ndarray]  # the manifest's tensors, float32 after dequantisation
    metadata: dict                  # the json's other top-level fields (format, generatedBy, ...)


def read_graph_model(path: str | Path) -> GraphModel:
    """Reads model.json and the shards its weightsManifest names (beside it)."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GraphModelError(f"{path}: not a TensorFlow.js model.json: {e}") from e
    if not isinstance(spec, dict) or spec.get("format") != "graph-model" or "modelTopology" not in spec:
        raise GraphModelError(f"{path}: not a TensorFlow.js graph model (format {spec.get('format')!r})"
                              if isinstance(spec, dict) else f"{path}: not a TensorFlow.js model.json")
    nodes = {n["name"]: n for n in spec["modelTopology"].get("node", [])}
    weights: dict[str, np.ndarray] = {}
    for group in spec.get("weightsManifest", []):
        raw = b""
        for shard in group["paths"]:
            shard_path = path.parent / shard
            try:
                raw += shard_path.read_bytes()
            except OSError as e:
                raise GraphModelError(f"{shard_path}: weight shard of {path.name} unreadable: {e}") from e
        offset = 0
        for entry in group["weights"]:
            shape = [int(d) for d in entry["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = entry.get("quantization")
            dtype = _QUANTISED.get(quant["dtype"]) if quant else _DTYPES.get(entry["dtype"])
            if dtype is None:
                raise GraphModelError(f"{path}: {entry['name']}: unsupported dtype {entry.get('dtype')} {quant}")
            size = count * np.dtype(dtype).itemsize
            if offset + size > len(raw):
                raise GraphModelError(f"{path}: the shards end inside {entry['name']} "
                                      f"({len(raw)} bytes, {offset + size} needed)")
            value = np.frombuffer(raw, dtype, count, offset).reshape(shape)
            offset += size
            if quant and quant["dtype"] != "float16":  # affine: value * scale + min
                value = value.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            weights[entry["name"]] = value.astype(np.float32) if value.dtype.kind == "f" or quant else value
        if offset != len(raw):
            raise GraphModelError(f"{path}: the shards hold {len(raw) - offset} bytes past the last weight")
    metadata = {k: v for k, v in spec.items() if k not in ("modelTopology", "weightsManifest")}
    return GraphModel(path, nodes, weights, metadata)


def _attr_text(node: dict, name: str) -> str:
    value = node.get("attr", {}).get(name, {}).get("s", "")
    return base64.b64decode(value).decode() if value else ""


def _attr_ints(node: dict, name: str) -> list[int]:
    return [int(i) for i in node.get("attr", {}).get(name, {}).get("list", {}).get("i", [])]


_STRIDES = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]  # the 13 depthwise convolutions'


def mobilenet_v1_tensors(model: GraphModel) -> dict[str, np.ndarray]:
    """Keras MobileNetV1 (batch-norm folded, as tfjs-converter writes it) under libdfd's
    mobilenet_v1 names: conv1 and conv_pw_N from the merged convolution kernels plus the
    batch-norm's `sub` as bias; conv_dw_N from the depthwise kernel times the batch-norm's `mul`;
    fc from the Dense layer after global pooling (faceres-deep's `feats`)."""
    nodes, w = model.nodes, model.weights

    def need(name: str) -> np.ndarray:
        if name not in w:
            raise GraphModelError(f"{model.path}: no weight {name!r}: not a Keras MobileNetV1 graph")
        return w[name]

    def check_conv(node_name: str, op: str, stride: int) -> None:
        node = nodes.get(node_name)
        if node is None or node["op"] != op:
            raise GraphModelError(f"{model.path}: expected a {op} node {node_name!r}, found "
                                  f"{node['op'] if node else 'none'}")
        strides, padding = _attr_ints(node, "strides"), _attr_text(node, "padding")
        if strides != [1, stride, stride, 1] or padding != "SAME" or _attr_text(node, "data_format") not in ("", "NHWC"):
            raise GraphModelError(f"{model.path}: {node_name}: strides {strides}, padding {padding!r}; "
                                  f"mobilenet_v1 runs stride {stride} with SAME padding")

    tensors: dict[str, np.ndarray] = {}
    check_conv("conv1_bn/batchnorm_1/mul_1", "Conv2D", 2)
    tensors["conv1.weight"] = need("conv1/convolution/merged_input").transpose(3, 2, 0, 1)
    tensors["conv1.bias"] = need("conv1_bn/batchnorm_1/sub")
    for i, stride in enumerate(_STRIDES, start=1):
        check_conv(f"conv_dw_{i}/depthwise", "DepthwiseConv2dNative", stride)
        check_conv(f"conv_pw_{i}_bn/batchnorm_1/mul_1", "Conv2D", 1)
        kernel = need(f"conv_dw_{i}/depthwise_kernel")  # [3, 3, C, 1]
        scale = need(f"conv_dw_{i}_bn/batchnorm_1/mul")
        tensors[f"conv_dw_{i}.weight"] = (kernel[..., 0] * scale).transpose(2, 0, 1)[:, None]
        tensors[f"conv_dw_{i}.bias"] = need(f"conv_dw_{i}_bn/batchnorm_1/sub")
        tensors[f"conv_pw_{i}.weight"] = need(f"conv_pw_{i}/convolution/merged_input").transpose(3, 2, 0, 1)
        tensors[f"conv_pw_{i}.bias"] = need(f"conv_pw_{i}_bn/batchnorm_1/sub")
    # The Dense layer fed by the global pooling: the one MatMul whose input is global_pooling/Mean.
    dense = [n for n in nodes.values() if n["op"] in ("MatMul", "_FusedMatMul")
             and n.get("input", [""])[0].split(":")[0] == "global_pooling/Mean"]
    if len(dense) != 1:
        raise GraphModelError(f"{model.path}: expected one Dense layer after global_pooling/Mean, found {len(dense)}")
    layer = dense[0]["input"][1].split("/")[0]
    tensors["fc.weight"] = need(f"{layer}/kernel").T
    tensors["fc.bias"] = need(f"{layer}/bias")
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
