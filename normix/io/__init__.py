"""Saving and loading models: :func:`save` and :func:`load` (the ``normix.model`` JSON format).

The format is described in :mod:`normix._serialization` and in
``docs/user_guide/saving.md``.  Every model also has a ``save(path)`` method.
"""
from normix.io.models import FAMILIES, load, save

__all__ = ["FAMILIES", "load", "save"]
