"""nnabla.functions entries of nnabla.functions (part _elementwise)."""

__all__: list[str] = []
