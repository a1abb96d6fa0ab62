"""Inference for fitted mixtures: the bootstrap and goodness-of-fit tests."""
from normix.inference.bootstrap import BootstrapResult, bootstrap
from normix.inference.goodness_of_fit import GoodnessOfFitResult, goodness_of_fit

__all__ = ["BootstrapResult", "GoodnessOfFitResult", "bootstrap", "goodness_of_fit"]
