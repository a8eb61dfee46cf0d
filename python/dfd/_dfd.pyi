"""Type hints for the extension module dfd._dfd (kept in step with bindings/)."""

import os
from typing import Any, Sequence, overload

import numpy as np
import numpy.typing as npt

__version__: str

class Error(Exception):
    subject: str
    cause: str
    kind: str

class IoError(Error, OSError): ...
class DecodeError(Error, OSError): ...
class ModelError(Error): ...
class InvalidArgument(Error, ValueError): ...

class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    frame_count_stated: bool
    duration: float
    rotation: int
    codec: str
    pixel_format: str
    has_audio: bool
    def to_dict(self) -> dict[str, Any]: ...

class VideoReadStats:
    packets_sent: int
    frames_decoded: int
    frames_converted: int
    seeks: int

class VideoReader:
    def __init__(self, path: str, threads: int = 0, output_width: int = 0, output_height: int = 0) -> None: ...
    def info(self) -> VideoInfo: ...
    def read(self, indices: Sequence[int]) -> npt.NDArray[np.uint8]: ...
    def sample(self, n: int) -> npt.NDArray[np.uint8]: ...
    @staticmethod
    def sample_indices(frame_count: int, n: int) -> list[int]: ...
    def last_read_stats(self) -> VideoReadStats: ...

class AudioInfo:
    path: str
    sample_rate: int
    channels: int
    codec: str
    sample_format: str
    duration: float
    def to_dict(self) -> dict[str, Any]: ...

class AudioReader:
    def __init__(self, path: str, sample_rate: int = 22050) -> None: ...
    def info(self) -> AudioInfo: ...
    @property
    def sample_rate(self) -> int: ...
    def read(self) -> npt.NDArray[np.float32]: ...

def resize_and_pad(image: npt.NDArray[np.uint8], size: int, pad: str = "center",
                   rule: str | None = None) -> npt.NDArray[np.uint8]: ...
def crop_region(box: Sequence[float], frame_hw: Sequence[int], margin: str = "selimsef") -> tuple[int, int, int, int]: ...

class Face:
    @property
    def box(self) -> tuple[float, float, float, float]: ...
    score: float
    @property
    def landmarks(self) -> npt.NDArray[np.float32]: ...

class FaceDetector:
    @overload
    def __call__(self, images: npt.NDArray[np.uint8]) -> list[Face] | list[list[Face]]: ...
    @overload
    def __call__(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[list[Face]]: ...
    @property
    def name(self) -> str: ...
    @property
    def landmark_names(self) -> list[str]: ...

class HaarFaceDetector(FaceDetector):
    def __init__(self, cascade_path: str = "", scale_factor: float = 1.1, min_neighbors: int = 5,
                 min_size: int = 30) -> None: ...

class FaceCrop:
    frame_index: int
    track_id: int
    face: Face
    @property
    def region(self) -> tuple[int, int, int, int]: ...
    @property
    def content(self) -> tuple[int, int, int, int]: ...
    @property
    def image(self) -> npt.NDArray[np.uint8]: ...
    @property
    def crop_landmarks(self) -> npt.NDArray[np.float32]: ...
    def to_frame(self, x: float, y: float) -> tuple[float, float]: ...
    def to_crop(self, x: float, y: float) -> tuple[float, float]: ...

class FaceTrack:
    id: int
    crops: list[int]
    mean_score: float

class FaceExtraction:
    source: str
    frames_sampled: int
    frames_with_faces: int
    crops: list[FaceCrop]
    tracks: list[FaceTrack]
    def images(self) -> npt.NDArray[np.uint8]: ...

class FaceExtractor:
    def __init__(self, detector: FaceDetector, frames: int = 32, size: int = 380, pad: str = "center",
                 margin: str = "selimsef", resize: str | None = None, score_threshold: float = 0.0,
                 max_faces_per_frame: int = 0, track_iou: float = 0.3) -> None: ...
    def extract(self, video_or_image: str | os.PathLike[str] | npt.NDArray[np.uint8]) -> FaceExtraction: ...

class BlazeFace(FaceDetector):
    def __init__(self, weights: str, min_score: float | None = None, min_suppression: float = 0.3,
                 input: str = "tiles", max_tile: int = 720, batch_size: int = 64) -> None: ...
    @property
    def back_model(self) -> bool: ...

class Mtcnn(FaceDetector):
    def __init__(self, weights: str, min_face_size: int = 20,
                 thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7), factor: float = 0.709,
                 downscale: float = 1.0) -> None: ...

def set_num_threads(n: int) -> None: ...
def num_threads() -> int: ...
