"""samediff.rnn configuration and weight classes (seed 002, "Configuration Classes").

Built with keyword arguments named exactly as the seed's fields; enum fields take the enum
member or its name as a string (case-sensitive, as in Java), and the Java spellings
``dataFormat`` / ``rnnDataFormat`` / ``lstmdataformat`` / ``directionMode`` are aliases of the
labels the seed prints (``RnnDataFormat``, ``LSTMDataFormat``, ``LSTMDirectionMode``).
"""

from __future__ import annotations

import enum
from typing import Any

from nnfunc.core import check
from nnfunc.errors import ArgumentError

__all__ = [
    "GRUWeights",
    "LSTMActivations",
    "LSTMConfiguration",
    "LSTMDataFormat",
    "LSTMDirectionMode",
    "LSTMLayerConfig",
    "LSTMLayerWeights",
    "LSTMWeights",
    "RnnDataFormat",
    "SRUWeights",
]


class RnnDataFormat(enum.Enum):
    """Input layout of lstmCell / lstmblock: TNS [T, N, in], NST [N, in, T], NTS [N, T, in]."""

    TNS = "TNS"
    NST = "NST"
    NTS = "NTS"


class LSTMDataFormat(enum.Enum):
    """Input layout of lstmLayer; T2NS (= 3): output [T, 2, N, out] with BIDIR_EXTRA_DIM."""

    TNS = "TNS"
    NST = "NST"
    NTS = "NTS"
    T2NS = "T2NS"


class LSTMDirectionMode(enum.Enum):
    """FWD = 0, BWD = 1, BIDIR_SUM = 2, BIDIR_CONCAT = 3, BIDIR_EXTRA_DIM = 4."""

    FWD = 0
    BWD = 1
    BIDIR_SUM = 2
    BIDIR_CONCAT = 3
    BIDIR_EXTRA_DIM = 4


class LSTMActivations(enum.Enum):
    """Activations of lstmLayer's gates, cell and output (the seed's list, plus TANH)."""

    TANH = "TANH"
    RELU = "RELU"
    SIGMOID = "SIGMOID"
    AFFINE = "AFFINE"
    LEAKY_RELU = "LEAKY_RELU"
    THRESHHOLD_RELU = "THRESHHOLD_RELU"
    SCALED_TAHN = "SCALED_TAHN"
    HARD_SIGMOID = "HARD_SIGMOID"
    ELU = "ELU"
    SOFTSIGN = "SOFTSIGN"
    SOFTPLUS = "SOFTPLUS"


def _enum(cls_name: str, field: str, value: Any, enum_cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, enum_cls):
        return value
    names = [m.name for m in enum_cls]
    if isinstance(value, str) and value in names:
        return enum_cls[value]
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if enum_cls is LSTMDirectionMode and is_int and 0 <= value <= 4:
        return LSTMDirectionMode(value)
    check.choice(cls_name, field, value if isinstance(value, str) else repr(value), names)
    raise AssertionError  # pragma: no cover - choice raised


def _alias(cls_name: str, field: str, value: Any, aliases: dict[str, Any]) -> Any:
    given = {k: v for k, v in aliases.items() if v is not None}
    if len(given) > 1 or (given and value is not None):
        names = [field, *given] if value is not None else list(given)
        raise ArgumentError(
            check.message(
                cls_name,
                field,
                "be given once (its aliases: " + ", ".join(aliases) + ")",
                given=names,
            )
        )
    return next(iter(given.values())) if given else value


class _Fields:
    _fields: tuple[str, ...] = ()

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            if hasattr(v, "shape"):
                return f"<{type(v).__name__} shape={tuple(v.shape)}>"
            if isinstance(v, enum.Enum):
                return v.name
            return repr(v)

        inner = ", ".join(f"{f}={show(getattr(self, f))}" for f in self._fields)
        return f"{type(self).__name__}({inner})"


class LSTMConfiguration(_Fields):
    """Options of lstmCell / lstmblock.

    Args:
        RnnDataFormat: ``"TNS"`` (default), ``"NST"`` or ``"NTS"`` (lstmblock's input layout).
        peepHole (bool): Use the three peephole weight vectors.
        forgetBias (float): Added to the forget gate's pre-activation.
        clippingCellValue (float): Cell-state clipping value, 0 = none (the seed repeats the
            forgetBias text here by mistake).
        dataFormat, rnnDataFormat: aliases of ``RnnDataFormat``.

    Examples:
        >>> from nnfunc.compat.samediff.rnn import LSTMConfiguration
        >>> LSTMConfiguration(RnnDataFormat="NTS", peepHole=True, forgetBias=1.0)
        LSTMConfiguration(RnnDataFormat=NTS, peepHole=True, forgetBias=1.0, clippingCellValue=0.0)
    """

    _fields = ("RnnDataFormat", "peepHole", "forgetBias", "clippingCellValue")

    def __init__(
        self,
        RnnDataFormat: Any = None,
        peepHole: bool = False,
        forgetBias: float = 0.0,
        clippingCellValue: float = 0.0,
        *,
        dataFormat: Any = None,
        rnnDataFormat: Any = None,
    ) -> None:
        c = "LSTMConfiguration"
        fmt = _alias(
            c,
            "RnnDataFormat",
            RnnDataFormat,
            {"dataFormat": dataFormat, "rnnDataFormat": rnnDataFormat},
        )
        self.RnnDataFormat = _enum(
            c, "RnnDataFormat", "TNS" if fmt is None else fmt, RnnDataFormat_
        )
        self.peepHole = check.boolean(c, "peepHole", peepHole)
        self.forgetBias = check.real_scalar(c, "forgetBias", forgetBias)
        self.clippingCellValue = check.real_scalar(
            c, "clippingCellValue", clippingCellValue, min_value=0.0
        )


RnnDataFormat_ = RnnDataFormat


class LSTMLayerConfig(_Fields):
    """Options of lstmLayer.

    Args:
        LSTMDataFormat: ``"TNS"`` (default), ``"NST"``, ``"NTS"`` or ``"T2NS"`` (only with
            ``BIDIR_EXTRA_DIM``).
        LSTMDirectionMode: ``"FWD"`` (default), ``"BWD"``, ``"BIDIR_SUM"``, ``"BIDIR_CONCAT"``,
            ``"BIDIR_EXTRA_DIM"`` (or 0..4).
        gateAct, cellAct, outAct: activations (:class:`LSTMActivations` names); defaults
            SIGMOID, TANH, TANH.
        retFullSequence (bool): Return the whole output sequence (default True).
        retLastH (bool): Return the last output (default False).
        retLastC (bool): Return the last cell state (default False).
        cellClip (float): Cell clipping value, 0 = none.
        gateAlpha, gateBeta, cellAlpha, cellBeta, outAlpha, outBeta (float): Activation
            parameters (default 0.0; see :func:`nnfunc.lstm`).
        dataFormat, lstmdataformat: aliases of ``LSTMDataFormat``; directionMode: of
            ``LSTMDirectionMode``.

    Examples:
        >>> from nnfunc.compat.samediff.rnn import LSTMLayerConfig
        >>> cfg = LSTMLayerConfig(LSTMDataFormat="NTS", LSTMDirectionMode="BIDIR_CONCAT",
        ...                       retLastH=True)
        >>> cfg.LSTMDirectionMode, cfg.retFullSequence, cfg.retLastH, cfg.retLastC
        (<LSTMDirectionMode.BIDIR_CONCAT: 3>, True, True, False)
    """

    _fields = (
        "LSTMDataFormat",
        "LSTMDirectionMode",
        "gateAct",
        "cellAct",
        "outAct",
        "retFullSequence",
        "retLastH",
        "retLastC",
        "cellClip",
        "gateAlpha",
        "gateBeta",
        "cellAlpha",
        "cellBeta",
        "outAlpha",
        "outBeta",
    )

    def __init__(
        self,
        LSTMDataFormat: Any = None,
        LSTMDirectionMode: Any = None,
        gateAct: Any = "SIGMOID",
        cellAct: Any = "TANH",
        outAct: Any = "TANH",
        retFullSequence: bool = True,
        retLastH: bool = False,
        retLastC: bool = False,
        cellClip: float = 0.0,
        gateAlpha: float = 0.0,
        gateBeta: float = 0.0,
        cellAlpha: float = 0.0,
        cellBeta: float = 0.0,
        outAlpha: float = 0.0,
        outBeta: float = 0.0,
        *,
        dataFormat: Any = None,
        lstmdataformat: Any = None,
        directionMode: Any = None,
    ) -> None:
        c = "LSTMLayerConfig"
        fmt = _alias(
            c,
            "LSTMDataFormat",
            LSTMDataFormat,
            {"dataFormat": dataFormat, "lstmdataformat": lstmdataformat},
        )
        mode = _alias(c, "LSTMDirectionMode", LSTMDirectionMode, {"directionMode": directionMode})
        self.LSTMDataFormat = _enum(
            c, "LSTMDataFormat", "TNS" if fmt is None else fmt, LSTMDataFormat_
        )
        self.LSTMDirectionMode = _enum(
            c, "LSTMDirectionMode", "FWD" if mode is None else mode, LSTMDirectionMode_
        )
        self.gateAct = _enum(c, "gateAct", gateAct, LSTMActivations)
        self.cellAct = _enum(c, "cellAct", cellAct, LSTMActivations)
        self.outAct = _enum(c, "outAct", outAct, LSTMActivations)
        self.retFullSequence = check.boolean(c, "retFullSequence", retFullSequence)
        self.retLastH = check.boolean(c, "retLastH", retLastH)
        self.retLastC = check.boolean(c, "retLastC", retLastC)
        self.cellClip = check.real_scalar(c, "cellClip", cellClip, min_value=0.0)
        for f, v in (
            ("gateAlpha", gateAlpha),
            ("gateBeta", gateBeta),
            ("cellAlpha", cellAlpha),
            ("cellBeta", cellBeta),
            ("outAlpha", outAlpha),
            ("outBeta", outBeta),
        ):
            setattr(self, f, check.real_scalar(c, f, v))
        if not (self.retFullSequence or self.retLastH or self.retLastC):
            raise ArgumentError(
                check.message(
                    c,
                    "retFullSequence, retLastH or retLastC",
                    "be True",
                    retFullSequence=False,
                    retLastH=False,
                    retLastC=False,
                )
            )

    @property
    def dataFormat(self) -> LSTMDataFormat:
        """Alias of ``LSTMDataFormat`` (the Java field name)."""
        return self.LSTMDataFormat

    @property
    def directionMode(self) -> LSTMDirectionMode:
        """Alias of ``LSTMDirectionMode`` (the Java field name)."""
        return self.LSTMDirectionMode


LSTMDataFormat_ = LSTMDataFormat
LSTMDirectionMode_ = LSTMDirectionMode


class GRUWeights(_Fields):
    """Weights of gru: ruWeight [(in + n), 2n] (blocks r, u on concat(x, hLast)), cWeight
    [(in + n), n] (on concat(x, r*hLast)), ruBias [2n], cBias [n] (libnd4j shapes).

    Examples:
        >>> from nnfunc.compat.samediff.rnn import GRUWeights
        >>> w = GRUWeights(ruWeight=np.zeros((3, 2)), cWeight=np.zeros((3, 1)),
        ...                ruBias=np.zeros(2), cBias=np.zeros(1))
        >>> w.cWeight.shape
        (3, 1)
    """

    _fields = ("ruWeight", "cWeight", "ruBias", "cBias")

    def __init__(self, ruWeight: Any, cWeight: Any, ruBias: Any, cBias: Any) -> None:
        self.ruWeight, self.cWeight, self.ruBias, self.cBias = ruWeight, cWeight, ruBias, cBias


class SRUWeights(_Fields):
    """Weights of sru / sruCell: weights (sruCell [in, 3*in]; sru [3*in, in], applied as W.x),
    bias [2*in] (blocks f, r).

    Examples:
        >>> from nnfunc.compat.samediff.rnn import SRUWeights
        >>> SRUWeights(weights=np.zeros((2, 6)), bias=np.zeros(4)).bias.shape
        (4,)
    """

    _fields = ("weights", "bias")

    def __init__(self, weights: Any, bias: Any) -> None:
        self.weights, self.bias = weights, bias


class LSTMWeights(_Fields):
    """Weights of lstmCell / lstmblock: ruWeight [(in + n), 4n] on concat(x, yLast), gate
    blocks [i, z, f, o]; three peephole vectors [n]; bias [4n] (libnd4j shapes).

    Examples:
        >>> from nnfunc.compat.samediff.rnn import LSTMWeights
        >>> w = LSTMWeights(ruWeight=np.zeros((5, 8)), inputPeepholeWeights=np.zeros(2),
        ...                 forgetPeepholeWeights=np.zeros(2), outputPeepholeWeights=np.zeros(2),
        ...                 bias=np.zeros(8))
        >>> w.ruWeight.shape
        (5, 8)
    """

    _fields = (
        "ruWeight",
        "inputPeepholeWeights",
        "forgetPeepholeWeights",
        "outputPeepholeWeights",
        "bias",
    )

    def __init__(
        self,
        ruWeight: Any,
        inputPeepholeWeights: Any = None,
        forgetPeepholeWeights: Any = None,
        outputPeepholeWeights: Any = None,
        bias: Any = None,
    ) -> None:
        self.ruWeight = ruWeight
        self.inputPeepholeWeights = inputPeepholeWeights
        self.forgetPeepholeWeights = forgetPeepholeWeights
        self.outputPeepholeWeights = outputPeepholeWeights
        self.bias = bias


class LSTMLayerWeights(_Fields):
    """Weights of lstmLayer (gate blocks [i, f, g, o], peepholes [i, f, o]).

    inputWeights [nIn, 4*nOut] (FWD, BWD) or [2, nIn, 4*nOut] (bidirectional);
    recurrentWeights [nOut, 4*nOut] / [2, nOut, 4*nOut] (the seed prints [nIn, 4*nOut]: a
    documentation error, libnd4j requires nOut); biases [4*nOut] / [2, 4*nOut];
    peepholeWeights [3*nOut] / [2, 3*nOut].

    Examples:
        >>> from nnfunc.compat.samediff.rnn import LSTMLayerWeights
        >>> w = LSTMLayerWeights(inputWeights=np.zeros((3, 8)), recurrentWeights=np.zeros((2, 8)))
        >>> w.biases is None
        True
    """

    _fields = ("inputWeights", "recurrentWeights", "biases", "peepholeWeights")

    def __init__(
        self,
        inputWeights: Any,
        recurrentWeights: Any,
        biases: Any = None,
        peepholeWeights: Any = None,
    ) -> None:
        self.inputWeights = inputWeights
        self.recurrentWeights = recurrentWeights
        self.biases = biases
        self.peepholeWeights = peepholeWeights
