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
    AudioWindow,
    AudioReader,
    AudioSpectrogram,
    BlazeFace,
    Classifier,
    ClipPlan,
    Detector,
    DetectorParams,
    DecodeError,
    Error,
    Face,
    FaceClip,
    FaceCrop,
    AudioDataset,
    EmbeddingDataset,
    FaceDataset,
    FaceDetector,
    FaceExtraction,
    FaceExtractor,
    FaceLandmarker,
    FaceTrack,
    GradCAM,
    HaarFaceDetector,
    InvalidArgument,
    IoError,
    LabelledFile,
    LateFusion,
    Model,
    ModelError,
    ModelInfo,
    Mtcnn,
    TrainParams,
    Trainer,
    UnusableAudioError,
    VideoInfo,
    VideoReader,
    VideoReadStats,
    Verdict,
    VerdictCsvWriter,
    __version__,
    aggregate,
    audio_strip,
    audio_window_batch,
    audio_windows,
    integrated_loudness,
    speech_snr_db,
    audio_bandwidth_hz,
    augment,
    augment_waveform,
    is_audio_dataset,
    is_embedding_dataset,
    dataset_kind,
    default_train_params,
    mask_spectrogram,
    check_audio_usable,
    aggregate_identities,
    configure_runtime,
    confident_strategy,
    cpu_has_native_bf16,
    crop_region,
    fit_late_fusion,
    has_media_extension,
    list_media_files,
    list_detector_presets,
    list_models,
    model_search_path,
    find_model_file,
    bundled_models,
    model_info,
    list_presets,
    mel_filters,
    num_threads,
    overlay,
    plan_clips,
    power_to_db,
    read_labels,
    repair_csv_tail,
    resize_and_pad,
    runtime_params,
    self_blend,
    set_num_threads,
    strided_copy,
    utf8_escaped,
    verdict_csv_header,
    verdict_csv_row,
)

from . import dask  # dfd.dask.scan: a cluster scans (distributed imported only when called)
from . import metrics  # dfd.metrics.roc_auc, ... (scikit-learn-equal metrics)
from ._scan_many import scan_many as _scan_many
from .show import show
from .training import prepare, train

Detector.scan_many = _scan_many


def _model_parameters(self):
    from .torch_model import parameters  # torch only when a notebook trains

    return parameters(self)


def _model_forward_torch(self, x):
    from .torch_model import forward_torch

    return forward_torch(self, x)


_model_parameters.__doc__ = "The trainable parameters as torch tensors sharing the model's memory, for torch.optim."
_model_forward_torch.__doc__ = "Logits as a torch.Tensor that backpropagates into x and parameters()."
Model.parameters = _model_parameters
Model.forward_torch = _model_forward_torch

__all__ = [
    "metrics",
    "AudioInfo",
    "AudioWindow",
    "AudioReader",
    "AudioSpectrogram",
    "BlazeFace",
    "Classifier",
    "ClipPlan",
    "Detector",
    "DetectorParams",
    "DecodeError",
    "Error",
    "Face",
    "FaceClip",
    "FaceCrop",
    "AudioDataset",
    "EmbeddingDataset",
    "FaceDataset",
    "FaceDetector",
    "FaceExtraction",
    "FaceExtractor",
    "FaceLandmarker",
    "FaceTrack",
    "GradCAM",
    "HaarFaceDetector",
    "InvalidArgument",
    "IoError",
    "LabelledFile",
    "LateFusion",
    "Model",
    "ModelError",
    "ModelInfo",
    "Mtcnn",
    "TrainParams",
    "Trainer",
    "UnusableAudioError",
    "VideoInfo",
    "VideoReader",
    "VideoReadStats",
    "Verdict",
    "VerdictCsvWriter",
    "__version__",
    "aggregate",
    "audio_strip",
    "audio_window_batch",
    "audio_windows",
    "integrated_loudness",
    "speech_snr_db",
    "audio_bandwidth_hz",
    "check_audio_usable",
    "augment",
    "augment_waveform",
    "is_audio_dataset",
    "is_embedding_dataset",
    "dataset_kind",
    "default_train_params",
    "mask_spectrogram",
    "aggregate_identities",
    "configure_runtime",
    "confident_strategy",
    "cpu_has_native_bf16",
    "crop_region",
    "fit_late_fusion",
    "has_media_extension",
    "list_media_files",
    "list_detector_presets",
    "list_models",
    "model_search_path",
    "find_model_file",
    "bundled_models",
    "model_info",
    "list_presets",
    "mel_filters",
    "num_threads",
    "overlay",
    "plan_clips",
    "power_to_db",
    "prepare",
    "read_labels",
    "repair_csv_tail",
    "resize_and_pad",
    "runtime_params",
    "self_blend",
    "set_num_threads",
    "show",
    "strided_copy",
    "train",
    "utf8_escaped",
    "verdict_csv_header",
    "verdict_csv_row",
]
