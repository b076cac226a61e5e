"""meihao's version, in a module that imports nothing, so that reading it loads nothing else."""

__version__ = "0.1.0"
