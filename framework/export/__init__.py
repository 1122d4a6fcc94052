"""Export of trained models to other runtimes (``hoh export``), verified against Keras."""
