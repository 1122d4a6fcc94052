"""Names shared by the backbone tests and their fixtures."""

SMALL = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
"""The file name Keras publishes MobileNetV3Small's ImageNet weights (without the classifier) under."""
