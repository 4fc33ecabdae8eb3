"""tf.nn entries of tf.nn (part _conv)."""

__all__: list[str] = []
