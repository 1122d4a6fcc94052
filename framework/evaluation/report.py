"""The evaluation report folder: ``metrics.json``, PNG pictures and one self-contained ``report.html``.

The page embeds its pictures (base64 ``data:`` URLs), so it opens from disk, mailed or
copied, with no server; the same PNGs lie beside it. The folder is written under a
temporary name and renamed into place, so a report is never half-written.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.evaluation.figures import probability
from framework.evaluation.sections import section_pictures
from framework.output_folders import check_replaceable, staged_folder

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"
REPORT_KIND = "evaluation report"
LEGACY_FILES = frozenset(
    {METRICS_FILE, REPORT_FILE, "confusion_matrix.png", "roc_pr.png", "calibration.png", "mistakes.png"}
)
"""What reports of hoh versions before manifests held: a folder of only these files counts as a report."""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1150px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { padding: 0.3em 0.8em; border: 1px solid #ccc; }
th { background: #f3f3f3; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.facts td:first-child { color: #555; } img { max-width: 100%; border: 1px solid #eee; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.muted { color: #666; font-size: 0.9em; }
"""


def write_report(out_dir: Path, context: Mapping[str, Any], figures: Mapping[str, Figure]) -> Path:
    """Write the report folder ``out_dir`` (replacing an older report there) and return ``report.html``.

    Args:
        out_dir: The folder to (re)write: absent, empty, or a report hoh wrote (see
            :mod:`framework.output_folders`); anything else is refused before a file is written.
        context: ``title``, ``facts`` (label -> value), ``metrics`` (from :func:`metrics.evaluate`),
            ``labels``, ``mistakes`` (from :func:`metrics.worst_mistakes`), ``errors``.
        figures: PNG name (without suffix) -> figure, in page order.

    Raises:
        ForeignOutput: when ``out_dir`` holds anything but a report hoh wrote.
    """
    with staged_folder(out_dir, REPORT_KIND, legacy_names=LEGACY_FILES) as staging:
        pngs: dict[str, bytes] = {}
        for name, figure in figures.items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            pngs[name] = buffer.getvalue()
            (staging / f"{name}.png").write_bytes(pngs[name])
        for name, data in section_pictures(context.get("sections", [])).items():
            (staging / f"{name}.png").write_bytes(data)
        (staging / METRICS_FILE).write_text(
            json.dumps(context["document"], indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        (staging / REPORT_FILE).write_text(render_html(context, pngs), encoding="utf-8")
    return out_dir / REPORT_FILE


def check_report_folder(out_dir: Path) -> None:
    """Refuse early (before the model runs) when ``out_dir`` may not be replaced by a report."""
    check_replaceable(out_dir, REPORT_KIND, legacy_names=LEGACY_FILES)


def render_html(context: Mapping[str, Any], pngs: Mapping[str, bytes]) -> str:
    """The page. Plain string building: a fixed layout with every value escaped needs no template engine."""
    metrics, labels = context["metrics"], context["labels"]
    summary = metrics["summary"]
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(context['title'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>{esc(context['title'])}</h1>",
        _facts_table(context["facts"]),
        *(["<h2>Settings</h2>", _facts_table(context["settings"])] if context.get("settings") else []),
        "<h2>Summary</h2>",
        _facts_table(
            {
                "accuracy": _num(summary["accuracy"]),
                "balanced accuracy": _num(summary.get("balanced_accuracy")),
                "macro F1": _num(summary["macro_f1"]),
                "ROC AUC": _num(summary.get("roc_auc")),
                "average precision": _num(summary.get("average_precision")),
                "log loss": _num(summary["log_loss"]),
                "Brier score": _num(summary.get("brier_score")) if "brier_score" in summary else None,
                "expected calibration error": _num(metrics["calibration"].get("ece")),
            }
        ),
        *_loss_note(summary.get("log_loss"), context.get("keras_loss")),
        "<h2>Per class</h2>",
        _per_class_table(metrics["per_class"]),
    ]
    thresholds = metrics.get("thresholds")
    if thresholds:
        positive = esc(summary.get("positive_class", labels[-1]))
        rows = {
            f"in use (p({positive}) &gt; t)": f"{_num(thresholds['in_use'])}, F1 {_num(thresholds.get('f1_in_use'))}"
        }
        if "best_accuracy" in thresholds:
            best_acc, best_f1 = thresholds["best_accuracy"], thresholds["best_f1"]
            rows["best for accuracy on this set"] = (
                f"{probability(best_acc['threshold'])} (accuracy {_num(best_acc['accuracy'])})"
            )
            rows["best for F1 on this set"] = f"{probability(best_f1['threshold'])} (F1 {_num(best_f1['f1'])})"
        parts += ["<h2>Decision threshold</h2>", _facts_table(rows, escape=False)]
        parts.append(
            '<p class="muted">Thresholds chosen on the set they are measured on are optimistic: '
            "pick one on a validation set, check it on another.</p>"
        )
    for section in context.get("sections", ()):  # the plugins' (hoh_report_sections): the curves plugin's Training
        parts.append(f"<h2>{esc(section.title)}</h2>")
        parts += [f"<p>{esc(paragraph)}</p>" for paragraph in section.paragraphs]
        parts += [_figure(name, section.caption or section.title, data) for name, data in section.pictures.items()]
    parts += ["<h2>Confusion matrix</h2>", _confusion_table(metrics["confusion_matrix"], labels)]
    captions = {
        "confusion_matrix": "Confusion matrix",
        "roc_pr": "ROC and precision-recall curves",
        "calibration": "Calibration (reliability diagram)",
        "mistakes": "Most confidently wrong images",
    }
    parts.append('<div class="figures">')
    for name, data in pngs.items():
        if name == "mistakes":
            continue
        parts.append(_figure(name, captions.get(name, name), data))
    parts.append("</div>")
    if "mistakes" in pngs:
        shown, total = len(context["mistakes"]), context.get("mistakes_total", len(context["mistakes"]))
        heading = f"{captions['mistakes']}: the {shown} most confident of {total} mistakes"
        parts += [f"<h2>{esc(heading)}</h2>", _figure("mistakes", captions["mistakes"], pngs["mistakes"])]
        parts.append(_mistakes_table(context["mistakes"]))
    if context.get("errors"):
        parts.append("<h2>Files that could not be read</h2><ul>")
        parts += [f"<li>{esc(message)}</li>" for _, message in context["errors"]]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _loss_note(log_loss: float | None, keras_loss: float | None) -> list[str]:
    """Why the log loss here can differ from ``evaluation.json``'s loss on the same images."""
    if log_loss is None or keras_loss is None or abs(log_loss - keras_loss) < 1e-3:
        return []
    return [
        f'<p class="muted">evaluation.json says loss {keras_loss:.4f} where this page says log loss '
        f"{log_loss:.4f} for the same model and images. Keras computes binary cross-entropy from the model's "
        "logits, without clipping, so a confidently wrong image can cost far more than 16; here the loss is computed "
        "from the probabilities the model outputs, clipped at float32 precision (at most about 16 an image), as "
        "scikit-learn's log_loss does. The ranking of models is the same; the numbers are not.</p>"
    ]


def _figure(name: str, caption: str, data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<figure id="{name}"><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
        f"<figcaption class=muted>{html.escape(caption)} ({name}.png)</figcaption></figure>"
    )


def _num(value: Any) -> str | None:
    if value is None:
        return "n/a"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _facts_table(rows: Mapping[str, Any], *, escape: bool = True) -> str:
    esc = html.escape if escape else (lambda text: text)
    body = "".join(f"<tr><td>{esc(str(k))}</td><td>{esc(str(v))}</td></tr>" for k, v in rows.items() if v is not None)
    return f'<table class="facts">{body}</table>'


def _per_class_table(rows: list[dict[str, Any]]) -> str:
    head = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(r['class'])}</td><td class=num>{_num(r['precision'])}</td>"
        f"<td class=num>{_num(r['recall'])}</td><td class=num>{_num(r['f1'])}</td>"
        f"<td class=num>{r['support']}</td></tr>"
        for r in rows
    )
    return f"<table>{head}{body}</table>"


def _confusion_table(matrix: list[list[int]], labels: list[str]) -> str:
    head = "<tr><th>true \\ predicted</th>" + "".join(f"<th>{html.escape(x)}</th>" for x in labels) + "</tr>"
    body = "".join(
        f"<tr><th>{html.escape(labels[i])}</th>" + "".join(f"<td class=num>{n}</td>" for n in row) + "</tr>"
        for i, row in enumerate(matrix)
    )
    return f"<table>{head}{body}</table>"


def _mistakes_table(rows: list[dict[str, Any]]) -> str:
    head = "<tr><th>file</th><th>true</th><th>predicted</th><th>p(predicted)</th></tr>"
    body = "".join(
        f"<tr><td>{html.escape(r['file'])}</td><td>{html.escape(r['true'])}</td>"
        f"<td>{html.escape(r['predicted'])}</td><td class=num>{probability(r['confidence'])}</td></tr>"
        for r in rows
    )
    return f"<table>{head}{body}</table>"
