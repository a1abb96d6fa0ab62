"""Distributions of normix: the subordinators, the multivariate normal and the mixtures."""
