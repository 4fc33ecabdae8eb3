"""tf.nn entries of tf.nn (part _loss)."""

__all__: list[str] = []
