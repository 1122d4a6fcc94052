"""Built-in Keras callbacks: rich progress, checkpoints, backup-and-restore, early stopping, TensorBoard.

:mod:`plugins.callbacks.hooks` offers them as providers; it imports no Keras. The
modules holding the Keras classes (:mod:`~plugins.callbacks.progress`,
:mod:`~plugins.callbacks.checkpoint`, :mod:`~plugins.callbacks.keras_builtins`)
import Keras at the top and are imported only by the factories, during a run.
"""
