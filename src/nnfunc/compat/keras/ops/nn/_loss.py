"""keras.ops.nn entries of keras.ops.nn (part _loss)."""

__all__: list[str] = []
