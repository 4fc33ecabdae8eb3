"""Family `attention` of the catalog: scaled dot-product and multi-head attention."""

from nnfunc.functions.attention._dot_product import dot_product_attention
from nnfunc.functions.attention._multi_head import multi_head_attention

__all__: list[str] = ["dot_product_attention", "multi_head_attention"]
