"""Built-in input pipelines: ``image-data-generator`` and ``tf-data``.

Both turn :class:`framework.ImageFolders` into batches with the same semantics
(class order, labels, RGB conversion, nearest-neighbour resize, rescale, exact steps
per epoch), so swapping one for the other is a one-line change in an experiment file.

Modules, one concern each:

- :mod:`~plugins.pipelines.common`: shared parameters, file listing, step counts.
- :mod:`~plugins.pipelines.file_checks`: every file's headers checked before training; bad files named.
- :mod:`~plugins.pipelines.image_headers`: one file's check, and many files' in worker processes.
- :mod:`~plugins.pipelines.augment`: seeded, stateless affine augmentation in TensorFlow.
- :mod:`~plugins.pipelines.image_data_generator`: Keras' legacy ``ImageDataGenerator``.
- :mod:`~plugins.pipelines.tf_data`: a cached, prefetched ``tf.data`` pipeline.
- :mod:`~plugins.pipelines.hooks`: the hook implementation that offers both.

TensorFlow and Keras are imported inside functions only, so listing plugins stays cheap.
"""
