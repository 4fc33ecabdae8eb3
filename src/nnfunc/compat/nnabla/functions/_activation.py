"""nnabla.functions entries of nnabla.functions (part _activation)."""

__all__: list[str] = []
