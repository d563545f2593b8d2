"""One module per chapter. Each public function takes plain parameters (``quick``, ``seed``,
sizes) and returns data (dataclasses, DataFrames, arrays), never a figure.

Import the chapter's module directly, e.g. ``from kernelnet.experiments import hsic``; nothing
is imported eagerly here, so one chapter's dependencies never slow another.
"""
