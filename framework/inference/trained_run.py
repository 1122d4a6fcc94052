"""A finished run opened for inference: its model, class names and preprocessing.

The one inference path of ``hoh predict``, ``hoh evaluate`` and ``hoh export``::

    run = TrainedRun.open(Path("runs/baseline/20261124T130000Z"))
    scores = run.predict([Path("photo.png")])
    scores.labels()  # ["human"]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framework.errors import PluginError, UserError
from framework.inference.preprocessing import Preprocessing, load_images
from framework.inference.run_lookup import find_model
from framework.rundir import CLASSES_FILE, EXPERIMENT_FILE, INFERENCE_FILE

if TYPE_CHECKING:
    import numpy as np

BATCH = 32
"""Images decoded and predicted at a time: memory stays bounded for any number of files."""


@dataclass
class Scores:
    """Class probabilities of the files that could be read, and why the others could not.

    Attributes:
        paths: The files that were read, in the order given.
        probabilities: ``(len(paths), classes)``; for one sigmoid unit ``[1 - p, p]``.
        errors: ``(file, message)`` for each file that is not a readable image.
        threshold: A binary model calls the second class when ``p > threshold``.
    """

    paths: list[Path]
    probabilities: np.ndarray
    errors: list[tuple[Path, str]] = field(default_factory=list)
    threshold: float = 0.5

    def predicted(self) -> np.ndarray:
        """Predicted class index of each file."""
        import numpy as np

        if self.probabilities.shape[1] == 2:
            return (self.probabilities[:, 1] > self.threshold).astype(np.int64)
        return self.probabilities.argmax(axis=1)


class TrainedRun:
    """A run folder with a trained model, opened for inference. Use :meth:`open`."""

    def __init__(
        self,
        run_dir: Path,
        model_path: Path,
        class_names: tuple[str, ...],
        labels: tuple[str, ...],
        record: dict[str, Any],
        loader: Callable[[Sequence[Path]], np.ndarray],
        preprocessing: Preprocessing | None,
        plugins: Sequence[str] = (),
    ) -> None:
        self.run_dir = run_dir
        self.model_path = model_path
        self.class_names = class_names
        self.labels = labels
        self.record = record
        self.preprocessing = preprocessing
        self._loader = loader
        self._plugins = list(plugins)
        self._model: Any = None

    @property
    def plugins(self) -> list[str]:
        """The extra plugin modules it was opened with (``--plugin``)."""
        return list(self._plugins)

    @classmethod
    def open(
        cls, target: Path, *, checkpoint: str | None = None, plugins: Sequence[str] = (), autoload: bool = True
    ) -> TrainedRun:
        """Open a run folder (or a ``.keras`` file inside one).

        Args:
            target: A finished run folder, or a ``.keras`` file in it or in its ``checkpoints/``.
            checkpoint: Use ``checkpoints/<checkpoint>.keras`` instead of ``model.keras``.
            plugins: Extra plugin modules (``--plugin``), for models with custom layers.
            autoload: Whether installed plugins may be loaded when they are needed.

        Raises:
            UserError: when the folder is not a finished run, or its files are missing or damaged.
        """
        model_path, run_dir = find_model(target, checkpoint)
        class_names, labels = _read_classes(run_dir)
        record = _read_json(run_dir / INFERENCE_FILE) if (run_dir / INFERENCE_FILE).exists() else {}
        preprocessing: Preprocessing | None = None
        if record.get("preprocessing"):
            try:
                preprocessing = Preprocessing.from_dict(record["preprocessing"])
            except ValueError as error:
                raise UserError(f"{run_dir / INFERENCE_FILE} is damaged: {error}.") from None

            def loader(paths: Sequence[Path]) -> np.ndarray:
                return load_images(paths, preprocessing)
        else:  # a run from before inference.json, or a pipeline that cannot describe itself: ask it
            loader = _pipeline_loader(run_dir, plugins, autoload)
        return cls(run_dir, model_path, class_names, labels, record, loader, preprocessing, plugins)

    @property
    def validation_dir(self) -> Path | None:
        """The labelled validation folder the run was trained with, when the run recorded it."""
        return self.split_dir("validation")

    def split_dir(self, split: str) -> Path | None:
        """The folder of ``split`` (``"train"``, ``"validation"``, ``"test"``) the run recorded, if any."""
        folder = self.record.get(f"{split}_dir")
        return Path(folder) if folder else None

    @property
    def model(self) -> Any:
        """The Keras model (loaded on first use; imports TensorFlow)."""
        if self._model is None:
            self._model = self._load_model()
        return self._model

    def load_images(self, paths: Sequence[Path]) -> np.ndarray:
        """Files as the model input, preprocessed as in training (``ValueError`` naming a bad file)."""
        return self._loader(paths)

    def predict(self, paths: Sequence[Path], *, on_batch: Callable[[int], None] | None = None) -> Scores:
        """Class probabilities of ``paths``, a chunk at a time; unreadable files are reported, not fatal."""
        import numpy as np

        read: list[Path] = []
        chunks: list[np.ndarray] = []
        errors: list[tuple[Path, str]] = []
        for start in range(0, len(paths), BATCH):
            images, chunk_paths = [], []
            for path in paths[start : start + BATCH]:
                try:
                    images.append(self.load_images([path])[0])
                    chunk_paths.append(Path(path))
                except (ValueError, OSError) as error:
                    errors.append((Path(path), str(error)))
            if images:
                chunks.append(self._probabilities(np.stack(images)))
                read += chunk_paths
            if on_batch is not None:
                on_batch(min(start + BATCH, len(paths)))
        classes = len(self.class_names)
        probabilities = np.concatenate(chunks) if chunks else np.zeros((0, classes), dtype=np.float32)
        return Scores(read, probabilities, errors)

    def _probabilities(self, batch: np.ndarray) -> np.ndarray:
        import numpy as np

        raw = np.asarray(self.model.predict(batch, verbose=0), dtype=np.float64)
        classes = len(self.class_names)
        if raw.ndim == 2 and raw.shape[1] == 1 and classes == 2:  # one sigmoid unit: p(second class)
            return np.concatenate([1 - raw, raw], axis=1)
        if raw.ndim == 2 and raw.shape[1] == classes:
            return raw
        raise UserError(
            f"{self.model_path} outputs shape {list(raw.shape[1:])} per image, but the run has {classes} classes "
            f"({', '.join(self.class_names)}): expected [1] (one sigmoid unit, 2 classes) or [{classes}]."
        )

    def _load_model(self) -> Any:
        import keras

        try:
            return keras.saving.load_model(self.model_path)
        except (TypeError, ValueError) as error:
            if not _is_unknown_class(error):
                raise _unreadable_model(self.model_path, error) from error
            first = error
        except Exception as error:  # h5py/zipfile/OSError on a damaged file
            raise _unreadable_model(self.model_path, error) from error
        # Custom layers: import the plugin that built the model (and --plugin modules), then try again.
        self._import_model_plugins()
        try:
            return keras.saving.load_model(self.model_path)
        except Exception as error:
            if not _is_unknown_class(error):
                raise _unreadable_model(self.model_path, error) from error
            model = self.record.get("model", {})
            where = f"the plugin {model.get('plugin')!r} ({model.get('module')})" if model else "its model plugin"
            raise UserError(
                f"{self.model_path} uses a custom class that is not registered here ({_short(first)}). The model "
                f"came from provider {model.get('provider', '?')!r} of {where}: install it, or name it with "
                "--plugin MODULE_OR_FILE. Its custom layers must be registered with "
                "keras.saving.register_keras_serializable when that module is imported."
            ) from None

    def _import_model_plugins(self) -> None:
        from framework.plugin_manager import import_module_plugin

        module = self.record.get("model", {}).get("module")
        specs = [*self._plugins]
        if module and (not module.endswith(".py") or Path(module).is_file()):
            specs.append(module)
        for spec in specs:
            try:
                import_module_plugin(spec, Path.cwd())  # importing registers its Keras classes
            except PluginError:
                continue  # reported through the final message, which names the plugin to install


def _is_unknown_class(error: BaseException) -> bool:
    text = str(error)
    return "Could not locate" in text or "Unknown layer" in text or "not registered" in text


def _short(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:300]


def _unreadable_model(path: Path, error: BaseException) -> UserError:
    if "safe_mode" in str(error):
        return UserError(
            f"{path} holds a layer that runs a Python lambda, which Keras refuses to load in safe mode (loading it "
            "could run any code). hoh loads models in safe mode only: write the layer as a registered Layer class."
        )
    return UserError(
        f"{path} cannot be read as a Keras model ({type(error).__name__}: {_short(error)}). The file is damaged or "
        "was not written by Keras 3; train the run again, or use one of its checkpoints (--checkpoint)."
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path} is missing: the run folder is incomplete.") from None
    except (OSError, ValueError) as error:
        raise UserError(f"{path} cannot be read ({error}); the run folder is damaged.") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} is damaged: it holds no JSON object.")
    return data


def _read_classes(run_dir: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = _read_json(run_dir / CLASSES_FILE)
    names = data.get("class_names")
    labels = data.get("labels") or names
    valid = isinstance(names, list) and len(names) >= 2 and all(isinstance(n, str) for n in names)
    if not valid or not isinstance(labels, list) or len(labels) != len(names):
        raise UserError(
            f'{run_dir / CLASSES_FILE} is damaged: it needs "class_names" (2 or more strings) and '
            f'"labels" of the same length.'
        )
    return tuple(names), tuple(str(label) for label in labels)


def _pipeline_loader(run_dir: Path, plugins: Sequence[str], autoload: bool) -> Callable[[Sequence[Path]], np.ndarray]:
    """The run's pipeline, built from its plugins (for runs without a recorded preprocessing)."""
    from framework.loading import load_experiment
    from framework.providers import Kind
    from framework.registry import build

    try:
        loaded = load_experiment(run_dir / EXPERIMENT_FILE, plugins=list(plugins), autoload=autoload, recorded=True)
    except UserError as error:
        raise UserError(
            f"run {run_dir} records no preprocessing ({INFERENCE_FILE}), so its pipeline plugin is needed, and "
            f"its experiment cannot be loaded: {error}"
        ) from None
    choice = loaded.experiment.pipeline
    pipeline = build(loaded.registry, Kind.PIPELINE, choice)
    return pipeline.load_images
