"""libdfd: how likely a video, image or audio clip is a deepfake, why, and fast.

The C++ engine lives in the extension module ``dfd._dfd``; this package re-exports it.

    >>> import dfd
    >>> reader = dfd.VideoReader("clip.mp4")
    >>> reader.info().frame_count
    300
    >>> frames = reader.sample(32)          # uint8 [32, h, w, 3], RGB
    >>> audio = dfd.AudioReader("clip.mp4").read()   # float32 mono at 22050 Hz

Every error is a ``dfd.Error``; ``dfd.IoError`` and ``dfd.DecodeError`` are also ``OSError``,
``dfd.InvalidArgument`` is also a ``ValueError``.
"""

from ._dfd import (
    AudioInfo,
    AudioReader,
    AudioSpectrogram,
    BlazeFace,
    Classifier,
    Detector,
    DecodeError,
    Error,
    Face,
    FaceCrop,
    FaceDetector,
    FaceExtraction,
    FaceExtractor,
    FaceTrack,
    GradCAM,
    HaarFaceDetector,
    InvalidArgument,
    IoError,
    LateFusion,
    Model,
    ModelError,
    ModelInfo,
    Mtcnn,
    VideoInfo,
    VideoReader,
    VideoReadStats,
    Verdict,
    __version__,
    aggregate,
    aggregate_identities,
    confident_strategy,
    crop_region,
    fit_late_fusion,
    list_detector_presets,
    list_models,
    model_info,
    list_presets,
    mel_filters,
    num_threads,
    overlay,
    power_to_db,
    repair_csv_tail,
    resize_and_pad,
    set_keep_freed_memory,
    set_num_threads,
    strided_copy,
    utf8_escaped,
)

from . import metrics  # dfd.metrics.roc_auc, ... (scikit-learn-equal metrics)
from ._scan_many import scan_many as _scan_many
from .show import show

Detector.scan_many = _scan_many

__all__ = [
    "metrics",
    "AudioInfo",
    "AudioReader",
    "AudioSpectrogram",
    "BlazeFace",
    "Classifier",
    "Detector",
    "DecodeError",
    "Error",
    "Face",
    "FaceCrop",
    "FaceDetector",
    "FaceExtraction",
    "FaceExtractor",
    "FaceTrack",
    "GradCAM",
    "HaarFaceDetector",
    "InvalidArgument",
    "IoError",
    "LateFusion",
    "Model",
    "ModelError",
    "ModelInfo",
    "Mtcnn",
    "VideoInfo",
    "VideoReader",
    "VideoReadStats",
    "Verdict",
    "__version__",
    "aggregate",
    "aggregate_identities",
    "confident_strategy",
    "crop_region",
    "fit_late_fusion",
    "list_detector_presets",
    "list_models",
    "model_info",
    "list_presets",
    "mel_filters",
    "num_threads",
    "overlay",
    "power_to_db",
    "repair_csv_tail",
    "resize_and_pad",
    "set_keep_freed_memory",
    "set_num_threads",
    "show",
    "strided_copy",
    "utf8_escaped",
]
