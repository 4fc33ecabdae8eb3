"""nnabla.functions entries of nnabla.functions (part _loss)."""

__all__: list[str] = []
