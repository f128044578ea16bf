"""The evaluation's metric names and the domain classifier's defaults.

Free of TensorFlow, so that `evaluate.py` defines its flags and checks them before
TensorFlow starts (and before its start-up lines, which the apps' log filter drops).
"""

CLASSIFIER_METRICS = ("accuracy", "classifier_kid")
CONTENT_METRICS = ("content",)
INCEPTION_METRICS = ("kid", "fid")
ALL_METRICS = CLASSIFIER_METRICS + CONTENT_METRICS + INCEPTION_METRICS

CLASSIFIER_STEPS = 600
CLASSIFIER_INPUT_SIZE = 64
