"""nnabla.functions entries of nnabla.functions (part _conv)."""

__all__: list[str] = []
