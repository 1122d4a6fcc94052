"""The phases of a run: configure, build, fit, finish (see :mod:`framework.hooks.lifecycle`).

:mod:`framework.runner` calls them in order under the run folder's lock, as methods of one
:class:`Phases` object; each sets ``run.phase`` and the fields of the run context that its
phase provides.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from pathlib import Path
from typing import Any

from framework.atomic import write_json, write_text, write_with
from framework.class_weights import CLASS_WEIGHTS_FILE, by_index, describe, resolve_class_weight
from framework.config.loader import Choice
from framework.distribution import is_chief
from framework.environment import describe_environment
from framework.errors import PluginError, TrainingFailed, UserError
from framework.loading import Loaded
from framework.precision import check_output_dtype, report_precision
from framework.providers import DatasetContext, Flows, ImageFolders, InputPipeline, Kind, ModelSpec
from framework.registry import build
from framework.run_checks import (
    check_loss_fits_labels,
    check_model_fits_labels,
    check_model_input,
    check_monitor_has_validation,
    check_stages_fit_model,
    check_training_memory,
)
from framework.run_context import RunContext
from framework.run_records import environment_path, inference_record, model_summary
from framework.rundir import (
    CLASSES_FILE,
    EVALUATION_FILE,
    INFERENCE_FILE,
    MODEL_FILE,
    STAGES_FILE,
    SUMMARY_FILE,
)
from framework.splits import record_splits
from framework.stages import (
    Stage,
    apply_trainable,
    built_frozen,
    check_stages,
    plan,
    scale_learning_rate,
    stage_of,
    stages_table,
)
from framework.warm_start import warm_start

BEST_WEIGHTS_FILE = "best-so-far.weights.h5"
"""With ``keep = "best"``: the best epoch's weights until model.keras is written."""


class Phases:
    """One run's phases, in order: :meth:`configure`, :meth:`build_data`, :meth:`build_model`, :meth:`fit`,
    :meth:`finish`.

    Holds the run's one handle (:class:`RunContext`, the plugins' view of the run) and the loaded
    experiment behind it (its plugin manager and hooks, which plugins do not get); what one phase
    makes for a later one (the pipeline, the dataset's folders) is kept here, not passed along.

    Args:
        loaded: The validated experiment with its active plugins.
        run: The run's context, made for ``loaded`` (same experiment and providers).
    """

    def __init__(self, loaded: Loaded, run: RunContext) -> None:
        if run.experiment is not loaded.experiment or run.providers is not loaded.registry:
            raise ValueError("the run context was made for another experiment than the one loaded")
        self.loaded = loaded
        self.run = run
        self.pipeline: InputPipeline | None = None
        self.images: ImageFolders | None = None
        self.class_weights: dict[str, float] | None = None  # [training] class_weight, by class name
        self.offline = False
        self.stages: list[Stage] = plan(run.experiment.training)
        self.staged = bool(run.experiment.training.stages)  # [[training.stages]] given: stages set what trains
        self.compiled: Stage | None = None  # the stage the model is compiled for
        self.keep_frozen: frozenset[int] = frozenset()  # layers the model was built with frozen

    def callbacks(self) -> list[Any]:
        """The experiment's callback providers' callbacks, the progress display first."""
        experiment, registry = self.loaded.experiment, self.loaded.registry
        choices: list[Choice] = list(experiment.callbacks)
        progress = experiment.training.progress
        if progress != "none" and all(c.provider != progress for c in choices):
            choices.insert(0, Choice(progress, registry.get(Kind.CALLBACK, progress).params()))
        return [build(registry, Kind.CALLBACK, choice, self.run) for choice in choices]

    def configure(self, *, allow_inexact: bool = False) -> None:
        """Phase ``configure``: seed, strategy, environment record; then ``hoh_configure_run``."""
        import keras

        loaded, run = self.loaded, self.run
        run.phase = "configure"
        precision = run.experiment.training.precision
        if precision != "float32":
            report_precision(run.console, precision)
        choice = run.experiment.strategy  # before TensorFlow starts its devices: a strategy may split them
        run.strategy = build(run.providers, Kind.STRATEGY, choice)
        run.is_chief = is_chief(run.strategy)
        _check_exact_resume(run, allow_inexact)
        if not run.is_chief:  # other workers write to a folder of their own, thrown away (TensorFlow's advice)
            run.run_dir = Path(tempfile.mkdtemp(prefix="hoh-worker-"))
        keras.utils.set_random_seed(run.seed)
        write_json(environment_path(run), describe_environment(loaded.pm, run.seed, run.strategy))
        loaded.hook.hoh_configure_run(run=run)

    def build_data(self, *, offline: bool) -> None:
        """Phase ``build``, first half: pipeline, model input check, dataset, then ``run.flows``."""
        run = self.run
        experiment, registry = run.experiment, run.providers
        run.phase = "build"
        self.offline = offline
        self.pipeline = build(registry, Kind.PIPELINE, experiment.pipeline)
        check_model_input(self.loaded, self.pipeline)  # before any data is fetched
        check_stages_fit_model(self.loaded)
        context = DatasetContext(console=run.console, offline=offline)
        images = build(registry, Kind.DATASET, experiment.dataset, context)
        self.images = record_splits(run.run_dir, images, resumed=run.resumed)
        run.flows = self.pipeline.flows(
            self.images,
            seed=run.seed,
            steps_per_epoch=experiment.training.steps_per_epoch,
            validation_steps=experiment.training.validation_steps,
        )
        for note in run.flows.notes:
            run.console.print(note, markup=False, highlight=False)
        check_loss_fits_labels(experiment.training.loss, run.flows)
        check_monitor_has_validation(experiment.training, run.flows)  # before a backbone is fetched or built
        self.class_weights = resolve_class_weight(
            experiment.training.class_weight, self.images.class_names, run.flows.train_class_counts
        )

    def build_model(self) -> None:
        """Phase ``build``, second half: model (``hoh_build_model``), optimizer and compile in the strategy's scope."""
        loaded, run, pipeline, images = self.loaded, self.run, self.pipeline, self.images
        assert pipeline is not None and images is not None, "build_data comes first"
        experiment = run.experiment
        recorded = pipeline.preprocessing()
        spec = ModelSpec(
            input_shape=tuple(pipeline.input_shape),
            class_names=tuple(images.class_names),
            rescale=recorded.rescale if recorded else None,
            offline=self.offline,
        )
        with run.strategy.scope():
            model = loaded.hook.hoh_build_model(run=run, spec=spec)
            if model is None:
                raise PluginError(
                    f"no model was built for model provider {experiment.model.provider!r}: every hoh_build_model "
                    "implementation returned None (a model factory returns a keras.Model)."
                )
            check_output_dtype(model, experiment.training.precision, experiment.model.provider)
            check_model_fits_labels(model, run.flows, experiment.model.provider)
        run.model = model
        if experiment.training.init_from:
            warm_start(model, experiment.training.init_from, run.run_dir, run.console, state_saved=bool(run.history))
        self.keep_frozen = built_frozen(model)
        stage_rows = []
        if self.staged:  # every stage's layers and learning rate tried before the first epoch
            stage_rows = check_stages(model, self.stages, self._apply, self._new_optimizer)
        batch_size = getattr(experiment.pipeline.params, "batch_size", None)  # a pipeline without one: unknown
        if isinstance(batch_size, int):  # every stage: a later one may unfreeze the backbone
            check_training_memory(
                model, batch_size, run.console, stages=self.stages if self.staged else (), apply=self._apply
            )
        self.compile_for(self.stages[0])
        labels = {"class_names": list(images.class_names), "labels": list(images.labels)}
        write_json(run.run_dir / CLASSES_FILE, labels)
        write_json(run.run_dir / INFERENCE_FILE, inference_record(loaded, pipeline, images))
        if self.class_weights:
            write_json(run.run_dir / CLASS_WEIGHTS_FILE, self.class_weights)
            run.console.print(f"class weights: {describe(self.class_weights)}", markup=False, highlight=False)
        write_text(run.run_dir / SUMMARY_FILE, model_summary(model) + (stages_table(stage_rows) if stage_rows else ""))
        if stage_rows:
            write_json(run.run_dir / STAGES_FILE, stage_rows)
        loaded.hook.hoh_before_run(run=run, model=model)

    def compile_for(self, stage: Stage) -> None:
        """Set what trains in ``stage``, then compile with a new optimizer (its rate times the stage's factor)."""
        run, model = self.run, self.run.model
        training = run.experiment.training
        if self.staged:  # a run without [[training.stages]] trains the model as built
            self._apply(stage)
        with run.strategy.scope():
            optimizer = self._new_optimizer()
            scale_learning_rate(optimizer, stage.learning_rate_factor, stage)
            model.compile(optimizer=optimizer, loss=training.loss, metrics=list(training.metrics))
        self.compiled = stage

    def _apply(self, stage: Stage) -> None:
        apply_trainable(self.run.model, stage, self.run.experiment.model.provider, self.keep_frozen)

    def _new_optimizer(self) -> Any:
        with self.run.strategy.scope():
            return build(self.run.providers, Kind.OPTIMIZER, self.run.experiment.optimizer)

    def load_saved_model(self) -> None:
        """A resumed run stopped after ``model.keras`` was saved: only the finish phase is left."""
        import keras

        self.run.model = keras.saving.load_model(self.run.run_dir / MODEL_FILE)

    def fit(self) -> None:
        """Phase ``fit``: from the first unfinished epoch; then ``model.keras`` is saved (the kept weights)."""
        from framework.recorder import BestWeights, DivergenceGuard, EpochRecorder, StageSwitch

        run = self.run
        experiment, model, flows = run.experiment, run.model, run.flows
        assert model is not None and flows is not None, "build_model comes first"
        run.phase = "fit"
        # The recorder goes before the plugins' callbacks: an epoch's metrics row is written before
        # anything (a resume callback's commit) records the epoch as done. A resume callback's
        # factory cuts run.history back to the epochs its training state holds.
        recorder = EpochRecorder(run, self.loaded.hook)
        callbacks = [DivergenceGuard(), recorder, *self.callbacks()]
        done = len(run.history) if run.resumed else 0
        training = experiment.training
        names = self.images.class_names if self.images is not None else ()
        class_weight = by_index(self.class_weights, names) if self.class_weights else None
        best = None
        if training.keep == "best":  # after the recorder, before a resume callback's commit of the epoch
            best = BestWeights(run.run_dir / BEST_WEIGHTS_FILE, training.monitor, history=run.history[:done])
            callbacks.insert(2, best)
        if self.staged:  # first: the model is recompiled before an epoch that starts a stage
            callbacks.insert(0, StageSwitch(self.stages, self.compile_for, recorder, run.console))
        # A resumed run is compiled for the stage of its last finished epoch, whose optimizer state the
        # resume callback restores; StageSwitch then starts the next stage with a new optimizer, as it did.
        if done and stage_of(self.stages, done - 1) != self.compiled:
            self.compile_for(stage_of(self.stages, done - 1))
        try:
            model.fit(
                _skip_epochs(flows, done).train,
                epochs=training.epochs,
                initial_epoch=done,
                steps_per_epoch=flows.steps_per_epoch,
                validation_data=flows.validation,
                validation_steps=None,  # flows.validation is finite: exactly flows.validation_steps batches
                callbacks=callbacks,
                class_weight=class_weight,
                shuffle=False,  # pipelines shuffle (seeded) themselves
                verbose=0,
            )
        except UserError as error:  # from a callback, mid-fit: the CLI must exit at once (see cli.run_command)
            if isinstance(error, TrainingFailed):
                raise
            raise TrainingFailed(str(error), exit_code=error.exit_code) from error
        except Exception as error:  # a pipeline may know which input caused it (an image that cannot be decoded)
            explanation = flows.explain_failure(error) if flows.explain_failure is not None else None
            if explanation:
                raise TrainingFailed(explanation, exit_code=2) from error
            raise
        if best is not None:
            # The best epoch's optimizer may be an earlier stage's: Keras warns, and loads only the weights.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.load_weights(best.path)
        write_with(run.run_dir / MODEL_FILE, model.save)
        (run.run_dir / BEST_WEIGHTS_FILE).unlink(missing_ok=True)

    def finish(self) -> dict[str, float]:
        """Phase ``finish``: final evaluation (``evaluation.json``), then ``hoh_after_run`` (the report plugin's)."""
        run = self.run
        run.phase = "finish"
        evaluation: dict[str, float] = {}
        if run.flows is not None and run.flows.validation is not None:
            scores = run.model.evaluate(run.flows.validation, verbose=0, return_dict=True)
            evaluation = {key: float(value) for key, value in scores.items()}
            write_json(run.run_dir / EVALUATION_FILE, evaluation)
        self.loaded.hook.hoh_after_run(run=run, history=list(run.history))
        return evaluation


def _check_exact_resume(run: RunContext, allow_inexact: bool) -> None:
    """Refuse to resume a run trained on several devices, unless told to accept other batches.

    The finished epochs' batches are skipped in the pipeline's stream; a strategy distributes
    that stream anew, and tf.data then reshuffles in another (seeded) order than the
    uninterrupted run saw. The resumed run would end close to, not exactly as, that run.
    """
    replicas = int(getattr(run.strategy, "num_replicas_in_sync", 1))
    if run.resumed and run.history and replicas > 1 and not allow_inexact:
        raise UserError(
            f"run {run.run_dir} trains on {replicas} devices (strategy {run.experiment.strategy.provider!r}): resumed, "
            "its remaining epochs may see the training images in another order than an uninterrupted run, so it "
            "would not end exactly the same. Resume anyway with hoh-run --resume RUN --allow-inexact."
        )


def _skip_epochs(flows: Flows, done: int) -> Flows:
    """On resume, start the training batches where the interrupted run left them.

    The ``done`` epochs' batches are drawn and dropped, so shuffling and augmentation go
    on exactly as in an uninterrupted run (for ``tf.data`` flows; other flows restart). One
    ``fit`` spans every stage: a new iteration of a ``tf.data`` flow would shuffle anew.
    """
    if done == 0 or not hasattr(flows.train, "skip"):
        return flows
    return dataclasses.replace(flows, train=flows.train.skip(done * flows.steps_per_epoch))
