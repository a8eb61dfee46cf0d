"""dfd.show(verdict): the faces a verdict rests on, with their Grad-CAM heatmaps (matplotlib)."""

from __future__ import annotations

from typing import Any, Optional


def show(verdict: Any, max_faces: int = 4, figsize_per_face: float = 2.6):
    """Draws each explained face of ``verdict`` — its crop, and its heatmap over the crop, with
    p(fake) and the top face regions — and returns the matplotlib Figure (a notebook shows it).

    The heatmaps exist only if the verdict was made with ``dfd.Detector(..., explain=True)``;
    otherwise this raises ValueError saying so. ``verdict`` may also be its ``to_dict(images=True)``."""
    import matplotlib.pyplot as plt
    import numpy as np

    from ._dfd import overlay

    d = verdict if isinstance(verdict, dict) else verdict.to_dict(images=True)
    explanations = d.get("explanations") or []
    if not explanations:
        if d["status"] not in ("ok",):
            raise ValueError(f"{d['path']}: nothing to show: status {d['status']} {d.get('error', '')}".rstrip())
        raise ValueError(f"{d['path']}: the verdict has no heatmaps: scan with dfd.Detector(..., explain=True)")
    shown = explanations[:max_faces]
    fig, axes = plt.subplots(2, len(shown), figsize=(figsize_per_face * len(shown), figsize_per_face * 2 + 0.6),
                             squeeze=False)
    label = "FAKE" if d.get("label") == "fake" else "real"
    name = d["path"].replace("\\", "/").rsplit("/", 1)[-1]
    fig.suptitle(f"{name}: {label}, p(fake) = {d['p_fake']:.3f}")
    for k, e in enumerate(shown):
        face = d["faces"][e["face"]]
        crop = np.asarray(e["crop"])
        axes[0, k].imshow(crop)
        axes[0, k].set_title(f"frame {face['frame_index']}, p {face['p_fake']:.2f}", fontsize=9)
        axes[1, k].imshow(overlay(crop, e["heatmap"]))
        top = ", ".join(f"{r['region']} {r['share']:.0%}" for r in e["regions"][:2])
        axes[1, k].set_title(f"why {e['target']}: {top}" if top else f"why {e['target']}", fontsize=8)
        for ax in axes[:, k]:
            ax.axis("off")
    fig.tight_layout()
    return fig
