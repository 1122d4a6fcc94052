"""Built-in model provider ``backbone``: a Keras Applications network, pretrained or not, with a new head.

- :mod:`~plugins.backbones.architectures`: the networks offered, their least input size, the
  pixel range their weights expect and where Keras publishes their ImageNet weights.
- :mod:`~plugins.backbones.weights`: ImageNet weights fetched once into a shared cache, from a
  mirror (folder or URL with a SHA256SUMS file) or Keras' own origin, verified; offline-aware.
- :mod:`~plugins.backbones.model`: the provider: parameters, the model, the input-size check.
"""
