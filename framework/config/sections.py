"""The fixed sections of an experiment file: ``[experiment]`` and ``[training]``.

Provider sections (``[dataset]``, ``[pipeline]``, ``[model]``, ``[optimizer]``,
``[[callbacks]]``) depend on the loaded plugins; see :mod:`framework.config.schema`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from framework.config.keras_names import LOSSES, METRICS, check_name
from framework.rundir import MODEL_FILE, resolve_run_dir

RECORDED = "recorded"
"""Validation context key: true when the data is a run folder's record of its experiment, whose outside
paths were checked when the run started (``training.init_from``) and may be gone since."""


class ExperimentSection(BaseModel):
    """``[experiment]``: what the experiment is called and how it is set up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        description="Name of the experiment; runs go to <output>/<name>/<UTC timestamp>/.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=100,
    )
    description: str = Field("", description="Free text, kept in the run folder.")
    seed: int = Field(42, ge=0, lt=2**32, description="Seeds Python, NumPy, TensorFlow and the input pipeline.")
    plugins: list[str] = Field(
        default_factory=list,
        description="Extra plugin modules: dotted names, or .py files relative to this file's folder.",
    )
    disable_plugins: list[str] = Field(default_factory=list, description="Names of plugins not to load.")
    output: str = Field("runs", description="Folder for run folders, relative to the working directory.")
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Labels recorded with the run (experiment.toml); tracking plugins log them, e.g. "
        '{ team = "vision" }. A sweep tags its trials with sweep and trial.',
    )

    @field_validator("output")
    @classmethod
    def _output_is_a_folder(cls, value: str) -> str:
        if Path(value).exists() and not Path(value).is_dir():
            raise ValueError(f"{value!r} is a file, not a folder: runs need a folder (it is made when missing)")
        return value


class StageSection(BaseModel):
    """``[[training.stages]]``: one stage of staged fine-tuning (epochs, what trains, the learning rate)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(ge=1, description="Epochs of this stage.")
    train: Literal["head", "all"] | PositiveInt = Field(
        "all",
        description='What trains: "head" (the model\'s backbone frozen), "all", or a number N (the top N '
        "layers with weights of the backbone, plus the head; its batch normalization layers stay frozen). "
        "The backbone's batch normalization always runs in inference mode.",
    )
    learning_rate_factor: PositiveFloat = Field(
        1.0, description="The optimizer's learning rate is multiplied by this in this stage (e.g. 0.1 to fine-tune)."
    )

    @field_validator("train", mode="before")
    @classmethod
    def _head_all_or_layers(cls, value: object) -> object:
        """One message for a wrong value, not one per member of the union."""
        if value in ("head", "all") or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise ValueError(f'give "head", "all" or a number of layers of at least 1 (got {value!r})')


class TrainingSection(BaseModel):
    """``[training]``: how the model is compiled and fitted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(15, ge=1, description="Number of epochs (with stages: their sum, which may be left out).")
    stages: list[StageSection] = Field(
        default_factory=list,
        description="Staged fine-tuning: [[training.stages]] tables, trained in order, each with its own "
        "trainable layers and learning rate; the optimizer is made anew and the model recompiled at each "
        "stage's start (Keras' transfer-learning guide). Left out: one stage, everything trains.",
    )
    steps_per_epoch: int | None = Field(
        None, ge=1, description="Training batches per epoch; left out, one full pass over the training set."
    )
    validation_steps: int | None = Field(
        None, ge=1, description="Validation batches per epoch; left out, one full pass over the validation set."
    )
    init_from: str | None = Field(
        None,
        description="Warm start: a finished run folder (runs/NAME/latest: the newest) or a .keras / .weights.h5 "
        "file whose weights the model starts from; the same model, image size and classes. Recorded as the "
        "resolved folder, and in the run's init.json with the file's SHA-256.",
    )
    loss: str = Field("binary_crossentropy", min_length=1, description="Keras loss identifier.")
    metrics: list[str] = Field(default_factory=lambda: ["accuracy"], description="Keras metric identifiers.")
    class_weight: Literal["balanced"] | dict[str, PositiveFloat] | None = Field(
        None,
        description='How much each class counts in the training loss: "balanced" (each class in total as much as '
        "the others, by its number of training images) or a table {class name = weight} (others weigh 1); "
        "validation is not weighted.",
    )
    keep: Literal["last", "best"] = Field(
        "last",
        description="Which weights model.keras and evaluation.json hold: the last epoch's, or the best epoch's "
        "by training.monitor.",
    )
    monitor: str = Field(
        "val_loss",
        min_length=1,
        description='Metric that decides the best epoch for keep = "best" (lower is better for losses and '
        "errors, higher for the rest).",
    )
    precision: Literal["float32", "mixed_bfloat16", "mixed_float16"] = Field(
        "float32",
        description="Keras dtype policy: mixed_* compute in 16 bits with float32 weights (faster on GPUs and "
        "on CPUs with bf16 instructions; see docs/how-to/precision-and-devices.md for measured figures).",
    )
    report: bool = Field(
        False,
        description="After training, write the evaluation report (evaluation/report.html, as hoh evaluate RUN does).",
    )
    progress: str = Field(
        "auto",
        description="Callback provider that shows progress, added with its defaults unless listed "
        'in [[callbacks]]; "auto": the installed one that declares it shows progress; "none" for none.',
    )

    @model_validator(mode="before")
    @classmethod
    def _epochs_of_stages(cls, data: object) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("stages"), list) or not data["stages"]:
            return data
        try:
            total = sum(int(stage["epochs"]) for stage in data["stages"])
        except (KeyError, TypeError, ValueError):
            return data  # each stage's own errors are reported by its fields
        if "epochs" not in data:
            return {**data, "epochs": total}
        if data["epochs"] != total:
            raise ValueError(
                f"epochs = {data['epochs']!r} but the stages add up to {total} epochs: leave epochs out "
                "(it is then their sum), or make them agree"
            )
        return data

    @field_validator("init_from")
    @classmethod
    def _init_from_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if (info.context or {}).get(RECORDED):  # checked when the run started; the run needs it no more
            return value
        path = resolve_run_dir(Path(value))  # runs/NAME/latest names the newest run: recorded as that run
        if path.is_dir() and not (path / MODEL_FILE).is_file():
            raise ValueError(f"{value!r} is a folder without {MODEL_FILE}: not a finished run (hoh runs shows them)")
        if not path.exists():
            raise ValueError(f"{value!r} does not exist: give a finished run folder or a .keras / .weights.h5 file")
        return str(path.resolve())

    @field_validator("loss")
    @classmethod
    def _known_loss(cls, value: str) -> str:
        return check_name(value, LOSSES, "loss")

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        return [check_name(name, METRICS, "metric") for name in value]

    @model_validator(mode="after")
    def _monitor_is_recorded(self) -> TrainingSection:
        if self.keep == "best" and self.monitor.removeprefix("val_") not in {"loss", *self.metrics}:
            raise ValueError(
                f"monitor = {self.monitor!r} is not recorded by this run: use loss, one of the metrics "
                f"({', '.join(self.metrics) or 'none'}), or either with val_ in front"
            )
        return self
