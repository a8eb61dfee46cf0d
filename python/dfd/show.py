"""dfd.show(verdict): the faces (and clips) a verdict rests on, with their Grad-CAM heatmaps (matplotlib)."""

from __future__ import annotations

from typing import Any, Optional


def show(verdict: Any, max_faces: int = 4, figsize_per_face: float = 2.6):
    """Draws each explained face of ``verdict`` — its crop, and its heatmap over the crop, with
    p(fake) and the top face regions — then each explained clip of a temporal model as one row of
    its frames' heatmaps, and returns the matplotlib Figure (a notebook shows it).

    The heatmaps exist only if the verdict was made with ``dfd.Detector(..., explain=True)``;
    otherwise this raises ValueError saying so. ``verdict`` may also be its ``to_dict(images=True)``."""
    import matplotlib.pyplot as plt
    import numpy as np

    from ._dfd import overlay

    d = verdict if isinstance(verdict, dict) else verdict.to_dict(images=True)
    explanations = d.get("explanations") or []
    clip_explanations = d.get("clip_explanations") or []
    if not explanations and not clip_explanations:
        if d["status"] not in ("ok",):
            raise ValueError(f"{d['path']}: nothing to show: status {d['status']} {d.get('error', '')}".rstrip())
        raise ValueError(f"{d['path']}: the verdict has no heatmaps: scan with dfd.Detector(..., explain=True)")
    shown = explanations[:max_faces]
    face_rows = 2 if shown else 0
    columns = max([len(shown)] + [len(e["crops"]) for e in clip_explanations])
    rows = face_rows + len(clip_explanations)
    fig, axes = plt.subplots(rows, columns, figsize=(figsize_per_face * columns, figsize_per_face * rows + 0.6),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    label = "FAKE" if d.get("label") == "fake" else "real"
    name = d["path"].replace("\\", "/").rsplit("/", 1)[-1]
    fig.suptitle(f"{name}: {label}, p(fake) = {d['p_fake']:.3f}")
    for k, e in enumerate(shown):
        face = d["faces"][e["face"]]
        crop = np.asarray(e["crop"])
        axes[0, k].imshow(crop)
        axes[0, k].set_title(f"frame {face['frame_index']}, p {face['p_fake']:.2f}", fontsize=9)
        axes[1, k].imshow(overlay(crop, e["heatmap"]))
        axes[1, k].set_title(_why(e), fontsize=8)
    for row, e in enumerate(clip_explanations, start=face_rows):
        clip = d["clips"][e["clip"]]
        for t, (crop, heatmap) in enumerate(zip(e["crops"], e["heatmaps"])):
            axes[row, t].imshow(overlay(np.asarray(crop), heatmap))
            title = f"frame {clip['frame_indices'][t]}"
            axes[row, t].set_title(f"clip, p {clip['p_fake']:.2f}, {_why(e)}\n{title}" if t == 0 else title, fontsize=8)
    fig.tight_layout()
    return fig


def _why(e: dict) -> str:
    """An explanation's target and its two largest face regions, as a title."""
    top = ", ".join(f"{r['region']} {r['share']:.0%}" for r in e["regions"][:2])
    return f"why {e['target']}: {top}" if top else f"why {e['target']}"
