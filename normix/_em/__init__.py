"""The EM engine: loops, results and progress, independent of any distribution.

The engine drives a model through the family protocol of
:mod:`normix._em.protocol`; the mixtures implement it.  ``normix.fitting.em``
re-exports the public fitters.
"""
