"""keras.ops.nn entries of keras.ops.nn (part _activation)."""

__all__: list[str] = []
