"""dfd.prepare and dfd.train: the notebook face of `dfd prepare` and `dfd train`."""

from __future__ import annotations

import os
import sys
import time

from ._dfd import (DetectorParams, Trainer, TrainParams, _prepare, _prepare_audio, _prepare_embeddings, dataset_kind,
                   default_train_params)


class _Bar:
    """One line on stderr, redrawn in place: what the CLI's progress bar is, for a notebook."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.monotonic()
        self.shown = False

    def show(self, text: str) -> None:
        if self.enabled:
            elapsed = int(time.monotonic() - self.start)
            sys.stderr.write(f"\r{text}  {elapsed // 60:02d}:{elapsed % 60:02d} elapsed\033[K")
            sys.stderr.flush()
            self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def prepare(labels, out, params: DetectorParams | None = None, *, size: int | None = None, landmarks: bool = True,
            workers: int = 1, retry_failed: bool = False, root: str | os.PathLike = "", progress: bool = True,
            audio: bool = False, sample_rate: int | None = None, embeddings: bool = False, clips: int | None = None,
            clip_stride: int = 1, clips_per_track: int = 2, **overrides) -> dict:
    """A labelled set into a face dataset for training, as `dfd prepare` makes it; with audio=True
    into an audio dataset (`dfd prepare --audio`): each file's sound, mono, at sample_rate (default
    16000 for AASIST; 22050 for spectrogram models); with embeddings=True into an embedding dataset
    (`dfd prepare --embeddings`): each file scanned by a Detector (params; default the "default"
    preset with `overrides`), its first face model's and first audio model's embeddings kept.

    labels: a label source (path,label[,group] CSV, FFDV video_name,target, DFDC metadata.json, a
    folder with real/ and fake/) or rows (path, label[, group]). params: the face settings (a
    dfd.DetectorParams; default the dfdc_selimsef preset with `overrides`, e.g.
    face_weights="mtcnn.safetensors", frames=16). Resumable: a rerun into `out` skips what is done.
    Returns {"files", "done_before", "prepared", "failed", "faces"} (audio: "clips" and "seconds"
    for "faces"; embeddings: "items"); failed files are in out/sources.csv with their error. size:
    the crops' side (default 256; faces only). clips=T: a dataset of clips of T frames per
    identity (`dfd prepare --clips T`), clip_stride frames apart, clips_per_track of them, for a
    temporal model (each row a frame, its "clip" the clip it belongs to).
    """
    bar = _Bar(progress)

    def step(p: dict) -> None:
        bar.show(f"prepare {p['done']}/{p['total']} {p['status']} {os.path.basename(p['path'])}")

    if audio and embeddings:
        raise TypeError("dfd.prepare: one kind of dataset at a time (audio or embeddings)")
    if clips is not None and (audio or embeddings):
        raise TypeError("dfd.prepare: clips make a face dataset, not an audio or embedding one")
    if embeddings:
        if size is not None or not landmarks or sample_rate is not None:
            raise TypeError("dfd.prepare(embeddings=True): the crops are the first face model's; size, landmarks and "
                            "sample_rate do not apply")
        if params is None:
            params = DetectorParams("default", **overrides)
        elif overrides:
            params = params.copy()
            params.set(**overrides)
        try:
            return _prepare_embeddings(labels, out, params, workers, retry_failed, root, step if progress else None)
        finally:
            bar.close()
    if audio:
        if params is not None or overrides or size is not None:
            raise TypeError("dfd.prepare(audio=True) takes no face settings (params, overrides)")
        rate = 16000 if sample_rate is None else sample_rate
        try:
            return _prepare_audio(labels, out, rate, workers, retry_failed, root, step if progress else None)
        finally:
            bar.close()
    if sample_rate is not None:
        raise TypeError("dfd.prepare: sample_rate applies to audio=True only")
    if params is None:
        params = DetectorParams("dfdc_selimsef", **overrides)
    elif overrides:
        params = params.copy()
        params.set(**overrides)
    try:
        return _prepare(labels, out, params, 256 if size is None else size, landmarks, workers, retry_failed, root,
                        step if progress else None, None if clips is None else [clips, clip_stride, clips_per_track])
    finally:
        bar.close()


def train(data, out_dir=None, params: TrainParams | None = None, *, validation=None, progress: bool = True,
          **overrides):
    """Trains a model on a face dataset (a dfd.FaceDataset or its folder), an audio model on an
    audio dataset (a dfd.AudioDataset or its folder), or an embedding fusion on an embedding dataset
    (a dfd.EmbeddingDataset or its folder; arch fusion_mlp by default), as `dfd train` does; returns the per-epoch history as a pandas DataFrame (the columns of metrics.csv), with
    .attrs["best_weights"], ["last_weights"], ["best_epoch"], ["stopped_early"].

        history = dfd.train("faces", "runs/a", arch="resnet18", epochs=5, mix__self_blended=0.5)
        clf = dfd.Classifier("resnet18:" + history.attrs["best_weights"])

    Settings: `params` (a dfd.TrainParams), then keyword overrides (dotted names with "__").
    resume=True continues the run in out_dir. Ctrl-C stops after the last finished epoch. An audio
    or embedding dataset with no params has no self-blended fakes: its mix starts at real 0.5, fake
    0.5. A trained fusion is used through DetectorParams' audio.fusion_model (its best_weights).
    """
    import pandas as pd

    p = default_train_params(dataset_kind(data)) if params is None else params.copy()
    for name, value in overrides.items():
        setattr(p, name, value)
    if out_dir is not None:
        p.out_dir = os.fspath(out_dir)
    trainer = Trainer(data, p, validation)
    bar = _Bar(progress)

    def step(s: dict) -> None:
        if s["phase"] == "train":
            bar.show(f"epoch {s['epoch']}/{s['epochs']} {s['step']}/{s['steps']} loss {s['loss']:.4f} "
                     f"{s['images_per_second']:.1f} img/s")
        else:
            bar.show(f"epoch {s['epoch']}/{s['epochs']} validating {s['step']}/{s['steps']}")

    try:
        result = trainer.run(step if progress else None)
    finally:
        bar.close()
    history = pd.DataFrame(result["history"])
    for key in ("best_weights", "last_weights", "best_epoch", "stopped_early"):
        history.attrs[key] = result[key]
    return history
