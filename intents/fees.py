"""Protocol fee policies attached to intents, as in CoW Protocol's solver-engine API.

Three kinds, told apart by ``kind`` (the JSON discriminator):

- ``surplus``: a share ``factor`` of the surplus over the limit price, capped at ``max_volume_factor``
  of the traded volume;
- ``priceImprovement``: the same, on the improvement over a ``quote`` instead of over the limit;
- ``volume``: a share ``factor`` of the traded volume.

Factors are exact ``Decimal`` values in ``[0, 1)``. This module also holds the frozen pydantic base of every
intents model, which turns pydantic's ``ValidationError`` into :class:`~intents.errors.InvalidIntent`.

Examples:
    >>> SurplusFee(factor="0.5", max_volume_factor="0.01")
    SurplusFee(kind='surplus', factor=Decimal('0.5'), max_volume_factor=Decimal('0.01'))
    >>> VolumeFee(factor=1)
    Traceback (most recent call last):
    ...
    intents.errors.InvalidIntent: factor: must be at least 0 and below 1, got 1
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from intents.errors import InvalidIntent, invalid_intent_from

__all__ = ["FeePolicy", "PriceImprovementFee", "Quote", "SurplusFee", "VolumeFee"]


class _FrozenModel(BaseModel, frozen=True):
    """Frozen, closed pydantic model whose validation errors are :class:`InvalidIntent`.

    ``__init__``, ``model_validate``, ``model_validate_json`` and ``model_validate_strings`` all convert
    pydantic's ``ValidationError`` into :class:`InvalidIntent` (``from None``: no pydantic traceback).
    Assigning to a field raises ``AttributeError`` naming the fix.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise invalid_intent_from(exc, type(self).__name__, type(self).model_fields) from None

    # Tell pydantic this __init__ only wraps BaseModel's, so that model_validate (and nested validation) keep
    # validating directly, with their context, instead of calling __init__ (as RootModel does).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate a Python object (a dict, usually); see ``pydantic.BaseModel.model_validate``.

        Raises:
            InvalidIntent: The object is not a valid instance; the error names the field.
        """
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise invalid_intent_from(exc, cls.__name__, cls.model_fields) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """Validate a JSON document; see ``pydantic.BaseModel.model_validate_json``.

        Raises:
            InvalidIntent: The document is not a valid instance; the error names the field.
        """
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as exc:
            raise invalid_intent_from(exc, cls.__name__, cls.model_fields) from None

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate an object of strings; see ``pydantic.BaseModel.model_validate_strings``.

        Raises:
            InvalidIntent: The object is not a valid instance; the error names the field.
        """
        try:
            return super().model_validate_strings(obj, **kwargs)
        except ValidationError as exc:
            raise invalid_intent_from(exc, cls.__name__, cls.model_fields) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable; make a validated, changed copy with .replace({name}=...)"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; {name!r} cannot be deleted")

    def replace(self, **changes: Any) -> Self:
        """Return a validated copy with some fields changed (a frozen model cannot be assigned to)."""
        return type(self).model_validate({**self.model_dump(), **changes})


def _check_factor(value: Decimal, field: str) -> Decimal:
    if not Decimal(0) <= value < Decimal(1):
        raise InvalidIntent(field, f"must be at least 0 and below 1, got {value}")
    return value


class Quote(_FrozenModel, frozen=True):
    """The quote a price-improvement fee is measured against, in base units.

    Attributes:
        sell_amount: Quoted amount sold.
        buy_amount: Quoted amount bought.
        fee: Quoted network fee, in the sell token.
    """

    if TYPE_CHECKING:  # friendly input (str amounts, "SYMBOL@chain"...): let type checkers accept any keywords

        def __init__(self, /, **data: Any) -> None: ...

    sell_amount: int = Field(strict=True, ge=0, lt=2**256)
    buy_amount: int = Field(strict=True, ge=0, lt=2**256)
    fee: int = Field(default=0, strict=True, ge=0, lt=2**256)


class SurplusFee(_FrozenModel, frozen=True):
    """A share of the surplus over the limit price, capped by a share of the volume.

    Attributes:
        kind: Discriminator, ``"surplus"``.
        factor: Share of the surplus taken, in ``[0, 1)``.
        max_volume_factor: Cap, as a share of the traded volume, in ``[0, 1)``.
    """

    if TYPE_CHECKING:  # friendly input (str amounts, "SYMBOL@chain"...): let type checkers accept any keywords

        def __init__(self, /, **data: Any) -> None: ...

    kind: Literal["surplus"] = "surplus"
    factor: Decimal = Field(allow_inf_nan=False)
    max_volume_factor: Decimal = Field(allow_inf_nan=False)

    @field_validator("factor", "max_volume_factor")
    @classmethod
    def _in_range(cls, value: Decimal, info: Any) -> Decimal:
        return _check_factor(value, info.field_name)


class PriceImprovementFee(_FrozenModel, frozen=True):
    """A share of the improvement over a quote, capped by a share of the volume.

    Attributes:
        kind: Discriminator, ``"priceImprovement"``.
        factor: Share of the improvement taken, in ``[0, 1)``.
        max_volume_factor: Cap, as a share of the traded volume, in ``[0, 1)``.
        quote: The quote the improvement is measured against.
    """

    if TYPE_CHECKING:  # friendly input (str amounts, "SYMBOL@chain"...): let type checkers accept any keywords

        def __init__(self, /, **data: Any) -> None: ...

    kind: Literal["priceImprovement"] = "priceImprovement"
    factor: Decimal = Field(allow_inf_nan=False)
    max_volume_factor: Decimal = Field(allow_inf_nan=False)
    quote: Quote

    @field_validator("factor", "max_volume_factor")
    @classmethod
    def _in_range(cls, value: Decimal, info: Any) -> Decimal:
        return _check_factor(value, info.field_name)


class VolumeFee(_FrozenModel, frozen=True):
    """A share of the traded volume.

    Attributes:
        kind: Discriminator, ``"volume"``.
        factor: Share of the volume taken, in ``[0, 1)``.
    """

    if TYPE_CHECKING:  # friendly input (str amounts, "SYMBOL@chain"...): let type checkers accept any keywords

        def __init__(self, /, **data: Any) -> None: ...

    kind: Literal["volume"] = "volume"
    factor: Decimal = Field(allow_inf_nan=False)

    @field_validator("factor")
    @classmethod
    def _in_range(cls, value: Decimal, info: Any) -> Decimal:
        return _check_factor(value, info.field_name)


FeePolicy: TypeAlias = Annotated[SurplusFee | PriceImprovementFee | VolumeFee, Field(discriminator="kind")]
"""One protocol fee policy; JSON objects are told apart by their ``kind``."""
