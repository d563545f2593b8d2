"""kernelnet: the library behind the kernelnet book.

Floors, bottom up (a lower floor never imports a higher one):

1. primitives: :mod:`kernelnet.kernels`, :mod:`kernelnet.hsic`, :mod:`kernelnet.checks`;
2. models and learning rules: :mod:`kernelnet.layerwise`, :mod:`kernelnet.single_layer`,
   :mod:`kernelnet.twolayer`, :mod:`kernelnet.feature_learning`, :mod:`kernelnet.solvers`,
   :mod:`kernelnet.learning_rules`;
3. :mod:`kernelnet.datasets`;
4. :mod:`kernelnet.experiments` (one module per chapter, returns data, never figures);
5. :mod:`kernelnet.figures` and :mod:`kernelnet.cli`.

``import kernelnet`` imports no submodule eagerly: matplotlib and numba are loaded only by the
modules that need them.
"""

__version__ = "0.1.0"

from ._numba_cache import key_cache_dir as _key_cache_dir

# numba's cache keyed on this package's source (never stale machine code across modules)
_key_cache_dir(__path__[0])
del _key_cache_dir

__all__ = ["__version__"]
