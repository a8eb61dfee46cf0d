"""TFLite flatbuffers read without TensorFlow: the tensors (dequantised) and operators of a model.

read_tflite(path) walks the flatbuffer by the fields of TFLite's schema.fbs that a weight converter
needs (Model.subgraphs/buffers/operator_codes, Tensor shape/type/buffer/name/quantization,
Operator opcode/inputs/outputs/options); mobilenet_v2_tensors() maps MobileNetV2 (batch-norm folded
into the convolutions, as TFLite converters write it) onto libdfd's mobilenet_v2 names, checking
each convolution's kind, stride, padding and fused activation against what the C++ model runs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class TfliteError(Exception):
    """The file is not the TFLite model expected; the message names the file and the cause."""


# schema.fbs enums used here
_TENSOR_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16, 9: np.int8}
CONV_2D, DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D, RESHAPE, SOFTMAX, FULLY_CONNECTED = 3, 4, 0, 1, 22, 25, 9
_ACTIVATIONS = {0: "none", 1: "relu", 3: "relu6"}


class _Table:
    """One flatbuffer table: fields by index, read through its vtable."""

    def __init__(self, buf: bytes, pos: int):
        self.buf, self.pos = buf, pos
        vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vsize = struct.unpack_from("<H", buf, vtable)[0]
        self.vtable = vtable

    def _offset(self, field: int) -> int:
        entry = 4 + 2 * field
        return struct.unpack_from("<H", self.buf, self.vtable + entry)[0] if entry < self.vsize else 0

    def scalar(self, field: int, fmt: str, default=0):
        off = self._offset(field)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + off)[0] if off else default

    def _target(self, field: int) -> int | None:
        off = self._offset(field)
        if not off:
            return None
        at = self.pos + off
        return at + struct.unpack_from("<I", self.buf, at)[0]

    def table(self, field: int) -> "_Table | None":
        at = self._target(field)
        return _Table(self.buf, at) if at is not None else None

    def vector(self, field: int, fmt: str) -> list:
        at = self._target(field)
        if at is None:
            return []
        (n,) = struct.unpack_from("<I", self.buf, at)
        return list(struct.unpack_from(f"<{n}{fmt}", self.buf, at + 4))

    def bytes_(self, field: int) -> memoryview:
        at = self._target(field)
        if at is None:
            return memoryview(b"")
        (n,) = struct.unpack_from("<I", self.buf, at)
        return memoryview(self.buf)[at + 4: at + 4 + n]

    def tables(self, field: int) -> list["_Table"]:
        at = self._target(field)
        if at is None:
            return []
        (n,) = struct.unpack_from("<I", self.buf, at)
        return [_Table(self.buf, at + 4 + 4 * i + struct.unpack_from("<I", self.buf, at + 4 + 4 * i)[0]) for i in range(n)]

    def string(self, field: int) -> str:
        return bytes(self.bytes_(field)).decode("utf-8", "replace")


@dataclass
class Tensor:
    name: str
    shape: list[int]
    value: np.ndarray | None  # dequantised float32 (constants); None for activations
    scale: list[float]
    zero_point: list[int]


@dataclass
class Operator:
    code: int                 # BuiltinOperator
    inputs: list[int]
    outputs: list[int]
    stride: int = 1
    padding: str = ""         # "SAME" / "VALID" for convolutions
    activation: str = "none"
    depth_multiplier: int = 1


@dataclass
class TfliteModel:
    path: Path
    tensors: list[Tensor]
    operators: list[Operator]


def read_tflite(path: str | Path) -> TfliteModel:
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as e:
        raise TfliteError(f"{path}: unreadable: {e}") from e
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise TfliteError(f"{path}: not a TFLite flatbuffer (no TFL3 identifier)")
    try:
        model = _Table(buf, struct.unpack_from("<I", buf, 0)[0])
        buffers = [b.bytes_(0) for b in model.tables(4)]
        codes = []
        for c in model.tables(1):
            deprecated, builtin = c.scalar(0, "b"), c.scalar(3, "i")
            codes.append(max(deprecated, builtin))
        subgraphs = model.tables(2)
        if len(subgraphs) != 1:
            raise TfliteError(f"{path}: {len(subgraphs)} subgraphs; one expected")
        graph = subgraphs[0]
        tensors = []
        for t in graph.tables(0):
            shape, ttype, buffer, name = t.vector(0, "i"), t.scalar(1, "b"), t.scalar(2, "I"), t.string(3)
            q = t.table(4)
            scale = q.vector(2, "f") if q else []
            zero = q.vector(3, "q") if q else []
            axis = q.scalar(6, "i") if q else 0  # quantized_dimension: per-channel scales run along it
            raw = buffers[buffer] if buffer < len(buffers) else memoryview(b"")
            value = None
            if len(raw):
                dtype = _TENSOR_TYPES.get(ttype)
                if dtype is None:
                    raise TfliteError(f"{path}: tensor {name}: unsupported type {ttype}")
                value = np.frombuffer(raw, dtype).reshape(shape)
                if scale:  # affine quantisation, per tensor or per channel along `axis`
                    s = np.asarray(scale, np.float32)
                    z = np.asarray(zero or [0] * len(scale), np.float32)
                    if len(s) > 1:
                        shape = [1] * value.ndim
                        shape[axis] = -1
                        s, z = s.reshape(shape), z.reshape(shape)
                    value = (value.astype(np.float32) - z) * s
                value = value.astype(np.float32)
            tensors.append(Tensor(name, shape, value, scale, zero))
        operators = []
        for op in graph.tables(3):
            code = codes[op.scalar(0, "I")]
            o = Operator(code, op.vector(1, "i"), op.vector(2, "i"))
            options = op.table(4)
            if options is not None and code in (CONV_2D, DEPTHWISE_CONV_2D):
                o.padding = {0: "SAME", 1: "VALID"}.get(options.scalar(0, "b"), "?")
                o.stride = options.scalar(1, "i")
                if options.scalar(2, "i") != o.stride:
                    raise TfliteError(f"{path}: operator {len(operators)}: unequal strides")
                if code == DEPTHWISE_CONV_2D:
                    o.depth_multiplier = options.scalar(3, "i")
                o.activation = _ACTIVATIONS.get(options.scalar(4 if code == DEPTHWISE_CONV_2D else 3, "b"), "?")
            operators.append(o)
    except (struct.error, IndexError) as e:
        raise TfliteError(f"{path}: a damaged TFLite flatbuffer: {e}") from e
    return TfliteModel(path, tensors, operators)


# MobileNetV2 1.0: (expansion, output channels, repeats, first stride) per stage.
_V2_STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v2_tensors(model: TfliteModel) -> dict[str, np.ndarray]:
    """MobileNetV2's convolutions in graph order under libdfd's mobilenet_v2 names: stem, blocks.N
    (expand, depthwise, project), head_conv, fc (the 1x1 logits convolution). Each operator must be
    the one the C++ model runs there (kind, stride, SAME padding, fused ReLU6 or none)."""
    ops = [o for o in model.operators if o.code in (CONV_2D, DEPTHWISE_CONV_2D)]
    at = 0

    def take(name: str, code: int, stride: int, activation: str, kernel: int) -> None:
        nonlocal at
        if at >= len(ops):
            raise TfliteError(f"{model.path}: the graph ends before {name}: not a MobileNetV2 1.0")
        op = ops[at]
        at += 1
        weight, bias = model.tensors[op.inputs[1]], model.tensors[op.inputs[2]]
        if (op.code, op.stride, op.padding, op.activation) != (code, stride, "SAME", activation) or weight.value is None \
                or weight.value.shape[1:3] != (kernel, kernel) or bias.value is None:
            kind = "depthwise" if code == DEPTHWISE_CONV_2D else "convolution"
            raise TfliteError(f"{model.path}: {weight.name}: expected a {kernel}x{kernel} {kind} at stride {stride}, SAME, "
                              f"{activation}; found code {op.code}, stride {op.stride}, {op.padding}, {op.activation}, "
                              f"kernel {list(weight.shape)}")
        w = weight.value  # CONV [O, H, W, I]; DEPTHWISE [1, H, W, C]
        tensors[f"{name}.weight"] = w.transpose(3, 0, 1, 2) if code == DEPTHWISE_CONV_2D else w.transpose(0, 3, 1, 2)
        tensors[f"{name}.bias"] = bias.value

    tensors: dict[str, np.ndarray] = {}
    take("stem", CONV_2D, 2, "relu6", 3)
    block = 0
    for expansion, _, repeats, first_stride in _V2_STAGES:
        for r in range(repeats):
            if expansion != 1:
                take(f"blocks.{block}.expand", CONV_2D, 1, "relu6", 1)
            take(f"blocks.{block}.depthwise", DEPTHWISE_CONV_2D, first_stride if r == 0 else 1, "relu6", 3)
            take(f"blocks.{block}.project", CONV_2D, 1, "none", 1)
            block += 1
    take("head_conv", CONV_2D, 1, "relu6", 1)
    take("fc", CONV_2D, 1, "none", 1)
    if at != len(ops):
        raise TfliteError(f"{model.path}: {len(ops) - at} convolutions past the logits: not a MobileNetV2 1.0")
    tensors["fc.weight"] = tensors["fc.weight"][:, :, 0, 0]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
