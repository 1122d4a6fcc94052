"""The pictures of an evaluation report, drawn with matplotlib (and scikit-learn's displays).

Each function returns a :class:`matplotlib.figure.Figure` (object-oriented API, no pyplot
state, safe in any thread); :mod:`framework.evaluation.report` saves them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TILE = 160


def confusion_matrix(evaluation: dict[str, Any], labels: Sequence[str]) -> Figure:
    """Counts (true class by row, predicted by column), with each row's share in brackets."""
    import numpy as np
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay

    counts = np.asarray(evaluation["confusion_matrix"])
    size = 2.2 + 0.9 * len(labels)
    figure = Figure(figsize=(size + 1.2, size), dpi=100, layout="constrained")
    ax = figure.subplots()
    display = ConfusionMatrixDisplay(counts, display_labels=list(labels))
    display.plot(ax=ax, cmap="Blues", colorbar=True, values_format="d")
    rows = counts.sum(axis=1, keepdims=True)
    for (i, j), text in np.ndenumerate(display.text_):
        share = counts[i, j] / rows[i, 0] if rows[i, 0] else 0
        text.set_text(f"{counts[i, j]}\n({share:.0%})")
    ax.set_title(f"Confusion matrix ({int(counts.sum())} images)")
    return figure


def roc_and_pr(evaluation: dict[str, Any]) -> Figure:
    """ROC and precision-recall curves, one line per class (binary: the positive class)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.8), dpi=100, layout="constrained")
    roc, pr = figure.subplots(1, 2)
    for label, curve in evaluation["curves"].items():
        auc, ap = curve["roc"]["auc"], curve["pr"]["ap"]
        roc.plot(curve["roc"]["fpr"], curve["roc"]["tpr"], label=f"{label} (AUC {_fmt(auc)})")
        pr.step(curve["pr"]["recall"], curve["pr"]["precision"], where="post", label=f"{label} (AP {_fmt(ap)})")
    roc.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC", xlim=(0, 1), ylim=(0, 1.02))
    pr.set(xlabel="recall", ylabel="precision", title="Precision-recall", xlim=(0, 1), ylim=(0, 1.02))
    for ax in (roc, pr):
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is roc else "lower left", fontsize=9)
    return figure


def calibration(evaluation: dict[str, Any]) -> Figure:
    """Reliability diagram (predicted probability vs observed frequency) above a histogram of probabilities."""
    from matplotlib.figure import Figure

    data = evaluation["calibration"]
    figure = Figure(figsize=(6, 6.5), dpi=100, layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    top.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    if data["mean_predicted"]:
        top.plot(data["mean_predicted"], data["observed"], marker="o", label=f"model (ECE {_fmt(data['ece'])})")
    top.set(ylabel="observed frequency", title=f"Calibration ({data['kind']})", xlim=(0, 1), ylim=(0, 1))
    top.grid(alpha=0.3)
    top.legend(loc="upper left", fontsize=9)
    counts = data.get("counts") or []
    if counts:
        width = 1 / len(counts)
        bottom.bar([width * (i + 0.5) for i in range(len(counts))], counts, width=width * 0.9, color="tab:blue")
    bottom.set(xlabel=f"predicted probability ({data['kind']})", ylabel="images")
    return figure


def mistakes(wrong: Sequence[dict[str, Any]], columns: int = 4) -> Figure:
    """A grid of the most confidently wrong images: file name, true and predicted class, probability."""
    import math

    from matplotlib.figure import Figure
    from PIL import Image

    rows = max(1, math.ceil(len(wrong) / columns))
    figure = Figure(figsize=(2.6 * columns, 2.9 * rows), dpi=100, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(wrong) :]:
        ax.set_axis_off()
    if not wrong:
        axes[0].text(0.5, 0.5, "no mistakes", ha="center", va="center", fontsize=14, transform=axes[0].transAxes)
    for ax, item in zip(axes, wrong, strict=False):
        try:
            with Image.open(item["file"]) as image:
                image.thumbnail((TILE, TILE))
                ax.imshow(image.convert("RGB"))
        except OSError:
            ax.text(0.5, 0.5, "unreadable", ha="center", va="center", transform=ax.transAxes)
        name = Path(item["file"]).name
        name = name if len(name) <= 26 else name[:25] + "…"
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(  # below its own image (a title would sit under the image of the row above)
            f"{name}\ntrue {item['true']}, said {item['predicted']}\n"
            f"p({item['predicted']}) = {probability(item['confidence'])}",
            fontsize=8,
            color="darkred",
        )
    return figure


def probability(value: float) -> str:
    """A probability for people: ``0.987``, and ``1 - 3.2e-06`` rather than a rounded ``1.000``."""
    if value in (0.0, 1.0):
        return f"{value:.0f} (saturated)"
    if value >= 0.9995:
        return f"1 - {1 - value:.1e}"
    if value <= 0.0005:
        return f"{value:.1e}"
    return f"{value:.3f}"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
