"""kernelnet: the library behind the kernelnet book.

The library is built in floors, a lower floor never importing a higher one; ``DESIGN.md`` ("The
library: floors, bottom up") describes them, and the book's API page shows that description
above one section per public module.

``import kernelnet`` imports no submodule eagerly: matplotlib and numba are loaded only by the
modules that need them.
"""

__version__ = "0.1.0"

from ._numba_cache import key_cache_dir as _key_cache_dir

# numba's cache keyed on this package's source (never stale machine code across modules)
_key_cache_dir(__path__[0])
del _key_cache_dir

__all__ = ["__version__"]
