import json

import cv2
import numpy as np
import pytest

import dfd
from conftest import read_safetensors


def g4_files(shared):
    files = sorted((shared / "golden/g4_preprocess").glob("*.safetensors"))
    assert len(files) >= 9
    return files


def test_g4_byte_exact(shared):
    for path in g4_files(shared):
        g, meta = read_safetensors(path)
        crop = g["crop"]
        for size in (380, 224):
            out = dfd.resize_and_pad(crop, size, pad="center")
            np.testing.assert_array_equal(out, g[f"selimsef_put_to_center_{size}"], err_msg=path.name)
        np.testing.assert_array_equal(dfd.resize_and_pad(crop, 224, pad="corner"), g["humananalog_square_224"],
                                      err_msg=path.name)
        if "box_half" in g:
            frame = cv2.cvtColor(cv2.imread(str(path.parent / meta["frame_png"])), cv2.COLOR_BGR2RGB)
            x1, y1, x2, y2 = dfd.crop_region((g["box_half"] * 2).tolist(), frame.shape[:2])
            np.testing.assert_array_equal(frame[y1:y2, x1:x2], crop, err_msg=path.name)


def test_arguments_are_checked():
    img = np.zeros((20, 10, 3), np.uint8)
    with pytest.raises(ValueError):
        dfd.resize_and_pad(img, 64, pad="middle")
    with pytest.raises(dfd.InvalidArgument):
        dfd.resize_and_pad(np.zeros((2, 2, 2, 2), np.uint8), 64)
    out = dfd.resize_and_pad(img, 64, pad="corner", rule="selimsef")
    assert out.shape == (64, 64, 3)
    assert dfd.crop_region((0, 0, 30, 30), (80, 100), margin="dfdc_kernel") == (0, 0, 36, 36)
