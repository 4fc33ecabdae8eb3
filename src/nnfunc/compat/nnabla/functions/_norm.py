"""nnabla.functions entries of nnabla.functions (part _norm)."""

__all__: list[str] = []
