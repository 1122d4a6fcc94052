"""hoh: a small, plugin-based core for image-classification experiments.

Public API for plugin authors: the :data:`hookimpl` marker, :class:`Provider`,
:class:`Params` and the value types in :mod:`framework.providers`.
TensorFlow is never imported here.
"""

from framework.errors import EnvironmentProblem, UserError
from framework.markers import hookimpl, hookspec
from framework.providers import (
    DatasetContext,
    Flows,
    ImageFolders,
    InputPipeline,
    Kind,
    ModelSpec,
    NoParams,
    Params,
    Provider,
)
from framework.report_section import ReportSection
from framework.run_context import RunContext

__all__ = [
    "DatasetContext",
    "EnvironmentProblem",
    "Flows",
    "ImageFolders",
    "InputPipeline",
    "Kind",
    "ModelSpec",
    "NoParams",
    "Params",
    "Provider",
    "ReportSection",
    "RunContext",
    "UserError",
    "hookimpl",
    "hookspec",
]
