"""Family `attention` of the catalog: scaled dot-product and multi-head attention."""

from nnfunc.functions.attention._dot_product import dot_product_attention

__all__: list[str] = ["dot_product_attention"]
