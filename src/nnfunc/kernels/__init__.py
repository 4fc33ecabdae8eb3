"""Compute kernels: ``cpu`` (NumPy, numba) and ``gpu`` (CuPy, imported lazily)."""
