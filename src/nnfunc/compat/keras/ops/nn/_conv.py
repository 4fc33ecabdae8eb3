"""keras.ops.nn entries of keras.ops.nn (part _conv)."""

__all__: list[str] = []
