"""keras.ops.nn entries of keras.ops.nn (part _elementwise)."""

__all__: list[str] = []
