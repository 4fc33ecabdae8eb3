"""tf.nn entries of tf.nn (part _elementwise)."""

__all__: list[str] = []
