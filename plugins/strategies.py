"""Built-in distribution strategy ``mirrored``: the devices of one machine (``default`` is the core's).

Several machines (``MultiWorkerMirroredStrategy``) are not offered: with Keras 3 on the
TensorFlow backend, ``fit`` fails on ``PerReplica`` values
(https://github.com/keras-team/keras/issues/20585) and scalar metrics are not reduced
across workers (https://github.com/tensorflow/tensorflow/issues/72388). A plugin can
offer one through ``hoh_strategy_providers`` when that works upstream; the runner
already lets only the chief worker write the run folder. Spreading work over machines
today is done by running many experiments at once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from framework import Params, Provider, UserError, hookimpl


class MirroredParams(Params):
    """Parameters of ``mirrored``."""

    devices: list[str] | None = Field(
        None,
        description='Devices to mirror over, e.g. ["/gpu:0", "/gpu:1"]; left out: every GPU, or the CPU when '
        "there is none.",
    )
    cpu_devices: int = Field(
        0,
        ge=0,
        le=64,
        description="Split the CPU into this many logical devices and mirror over them (for trying "
        "multi-device training without GPUs; 0 = do not split). Only works before TensorFlow has "
        "started its devices, i.e. in a fresh hoh-run process.",
    )
    all_reduce: Literal["auto", "nccl", "hierarchical-copy", "reduce-to-one"] = Field(
        "auto",
        description="How gradients are summed across devices: auto is NCCL on several GPUs, else reduce-to-one.",
    )


def _split_cpu(tf: Any, count: int) -> list[str]:
    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != count:
        try:
            tf.config.set_logical_device_configuration(cpu, wanted)
        except RuntimeError as error:  # TensorFlow has initialised its devices already
            raise UserError(
                f"strategy.cpu_devices = {count}: the CPU can no longer be split ({error}). Run the experiment "
                "in a fresh process (hoh-run), or leave cpu_devices out."
            ) from None
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def build_mirrored(params: MirroredParams) -> Any:
    import tensorflow as tf

    devices = list(params.devices) if params.devices else None
    if params.cpu_devices:
        devices = _split_cpu(tf, params.cpu_devices)
    if devices is None:
        devices = [d.name for d in tf.config.list_logical_devices("GPU")] or ["/cpu:0"]
    gpus = [d for d in devices if "GPU" in d.upper()]
    method = params.all_reduce
    if method == "auto":
        method = "nccl" if len(gpus) > 1 and len(gpus) == len(devices) else "reduce-to-one"
    ops = {
        "nccl": tf.distribute.NcclAllReduce,
        "hierarchical-copy": tf.distribute.HierarchicalCopyAllReduce,
        "reduce-to-one": tf.distribute.ReductionToOneDevice,
    }[method]()
    return tf.distribute.MirroredStrategy(devices=devices, cross_device_ops=ops)


@hookimpl
def hoh_strategy_providers() -> list[Provider]:
    return [
        Provider(
            "mirrored",
            MirroredParams,
            build_mirrored,
            "Synchronous data parallelism over the devices of one machine (tf.distribute.MirroredStrategy); "
            "batch sizes are global.",
        ),
    ]
