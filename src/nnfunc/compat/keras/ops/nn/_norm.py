"""keras.ops.nn entries of keras.ops.nn (part _norm)."""

__all__: list[str] = []
