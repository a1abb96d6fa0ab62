"""Inference for fitted mixtures: the bootstrap and goodness-of-fit tests."""
from normix.inference.bootstrap import BootstrapResult, bootstrap

__all__ = ["BootstrapResult", "bootstrap"]
