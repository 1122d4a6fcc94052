"""Built-in dataset providers: ``horse-or-human`` (downloaded and cached) and ``image-folder``.

Modules, one concern each:

- :mod:`~plugins.datasets.download`: verified, resumable, retried downloads and local copies.
- :mod:`~plugins.datasets.sources`: where archives come from (official URLs or a mirror).
- :mod:`~plugins.datasets.extract`: safe zip extraction into place.
- :mod:`~plugins.datasets.cache`: cache folders and the "dataset is complete" marker.
- :mod:`~plugins.datasets.image_folder`: the ``image-folder`` provider and folder checks.
- :mod:`~plugins.datasets.horse_or_human`: the ``horse-or-human`` provider.
- :mod:`~plugins.datasets.hooks`: the hook implementation that offers both providers.
"""
