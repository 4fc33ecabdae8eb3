"""CPU kernels: NumPy implementations and their numba twins (numba imported lazily)."""
