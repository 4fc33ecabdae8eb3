"""tf.nn entries of tf.nn (part _norm)."""

__all__: list[str] = []
