"""Reading and writing solutions in CoW Protocol's solver-engine shape.

A solution is ``{"id", "prices": {token: "int"}, "trades": [...], "interactions": [...], "gas": int?}``:

* trades: ``{"kind": "fulfillment", "order": uid, "executedAmount": "int", "fee": "int"?}``;
* interactions: ``{"kind": "liquidity", "internalize": bool, "id", "inputToken", "outputToken",
  "inputAmount", "outputAmount"}``.

Token keys are CAIP-19 ids, or plain addresses when the instance has only one chain. Amounts are decimal
strings (JSON integers are accepted, floats refused). A submission file is ``{"solver": NAME,
"solutions": [...]}``. CoW's ``jit`` trades and ``custom`` interactions are refused as not supported yet.

Malformed input raises :class:`InvalidSolution`, whose ``field`` is the JSON path of the first problem
(``solutions[0].trades[2].executedAmount``).

Examples:
    >>> from auction.synthetic import generate_instance
    >>> from auction.solution import Fulfillment, Solution, Submission
    >>> instance = generate_instance(1, orders=1)
    >>> intent = instance.intents[0]
    >>> solution = Solution(id="7", prices={intent.sell: 3, intent.buy: 5},
    ...                     trades=(Fulfillment(order=intent.uid, executed_amount=10, fee=0),))
    >>> submission = Submission(solver="me", solutions=(solution,))
    >>> submission_from_json(submission_to_json(submission), instance) == submission
    True
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, ValidationError

from auction._json_types import DTO_CONFIG, Uint, describe_validation_error, read_json_file
from auction.errors import InvalidSolution
from auction.instance import AuctionInstance
from auction.solution import Fulfillment, LiquidityInteraction, Solution, Submission
from liquidity.assets import AssetId, ChainId, address_of, asset_id, chain_of, parse_asset_id
from liquidity.errors import InvalidInput

__all__ = [
    "InvalidSolution",
    "dump_submission",
    "load_submission",
    "solution_from_json",
    "solution_to_json",
    "solutions_from_wire",
    "solutions_to_wire",
    "submission_from_json",
    "submission_to_json",
]


_ABSENT: Any = Field(default=None, exclude_if=lambda value: value is None)
_NUMERIC_ID: Final = re.compile(r"^(0|[1-9][0-9]{0,18})$")


def _solution_id(value: object) -> object:
    # CoW's solution id is a JSON number (u64); ours is a string. Accept both, never a bool or float.
    if isinstance(value, bool | float):
        raise ValueError(f"{value!r} is not a solution id; use a string or a non-negative integer")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative; a numeric solution id is a u64")
        return str(value)
    return value


def _gas(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a gas amount; write a non-negative JSON integer")
    return value


def _id_json(value: str) -> int | str:
    return int(value) if _NUMERIC_ID.match(value) and int(value) < 2**64 else value


SolutionId = Annotated[str, BeforeValidator(_solution_id), PlainSerializer(_id_json)]
Gas = Annotated[int, BeforeValidator(_gas)]


class TradeJson(BaseModel):
    """A fulfillment of an auction order."""

    model_config = DTO_CONFIG
    kind: Literal["fulfillment"]
    order: str
    executed_amount: Uint
    fee: Uint | None = _ABSENT


class InteractionJson(BaseModel):
    """A swap through a liquidity of the auction."""

    model_config = DTO_CONFIG
    kind: Literal["liquidity"]
    internalize: bool = False
    id: str
    input_token: str
    output_token: str
    input_amount: Uint
    output_amount: Uint


class CallJson(BaseModel):
    """A plain call of a pre- or post-interaction (``{target, value, callData}``)."""

    model_config = DTO_CONFIG
    target: str
    value: Uint = 0
    call_data: str = "0x"


class SolutionJson(BaseModel):
    """One solution; the gas-fee override, ``flashloans`` and ``wrappers`` are read and not replayed."""

    model_config = DTO_CONFIG
    id: SolutionId
    prices: dict[str, Uint] = {}
    trades: list[TradeJson] = []
    pre_interactions: list[CallJson] = []
    interactions: list[InteractionJson] = []
    post_interactions: list[CallJson] = []
    gas: Gas | None = _ABSENT
    max_fee_per_gas: Uint | None = _ABSENT
    max_priority_fee_per_gas: Uint | None = _ABSENT
    flashloans: dict[str, Any] | None = _ABSENT
    wrappers: list[dict[str, Any]] = Field(default_factory=list, exclude_if=lambda value: not value)


class SubmissionJson(BaseModel):
    """A solver's submission."""

    model_config = DTO_CONFIG
    solver: str
    solutions: list[SolutionJson] = []


_UNSUPPORTED: Final = {
    ("trades", "jit"): "jit trades are not supported yet; fill auction orders with kind 'fulfillment'",
    ("interactions", "custom"): (
        "custom interactions are not supported yet; use kind 'liquidity' with a liquidity id of the auction"
    ),
}


# ------------------------------------------------------------------------------------------------ reading
def load_submission(source: str | os.PathLike[str], instance: AuctionInstance) -> Submission:
    """Load a submission from a JSON file: ``{"solver", "solutions"}``, or a CoW engine's answer.

    A CoW answer (``{"solutions": [...]}``, as ``POST /solve`` returns it and ``arena solve`` writes it for
    a CoW auction) has no solver name; the file's name without its extension stands in for it.

    Raises:
        InvalidSolution: The file is missing, not JSON, or not a valid submission; ``field`` is the JSON path.
    """
    data = read_json_file(source, InvalidSolution)
    if isinstance(data, dict) and "solver" not in data and "solutions" in data:
        return Submission(solver=Path(source).stem, solutions=solutions_from_wire(data, instance))
    return submission_from_json(data, instance)


def submission_from_json(data: Any, instance: AuctionInstance) -> Submission:
    """Build a submission from parsed JSON, resolving token keys on ``instance``'s chains.

    Raises:
        InvalidSolution: The data is malformed; ``field`` is the JSON path of the first problem.
    """
    if not isinstance(data, dict):
        raise InvalidSolution("", f"a submission is a JSON object, not {type(data).__name__}")
    solutions = data.get("solutions")
    if isinstance(solutions, list):
        for index, solution in enumerate(solutions):
            _refuse_unsupported(solution, f"solutions[{index}]")
    parsed = _parse(SubmissionJson, data, "")
    key = _resolver(instance)
    return Submission(
        solver=parsed.solver,
        solutions=tuple(
            _to_solution(solution, key, f"solutions[{index}]") for index, solution in enumerate(parsed.solutions)
        ),
    )


def solution_from_json(data: Any, instance: AuctionInstance) -> Solution:
    """Build one solution from parsed JSON (CoW's ``Solution`` object).

    Raises:
        InvalidSolution: The data is malformed; ``field`` is the JSON path of the first problem.
    """
    if not isinstance(data, dict):
        raise InvalidSolution("", f"a solution is a JSON object, not {type(data).__name__}")
    _refuse_unsupported(data, "")
    return _to_solution(_parse(SolutionJson, data, ""), _resolver(instance), "")


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


def _refuse_unsupported(solution: Any, where: str) -> None:
    if not isinstance(solution, dict):
        return
    for section in ("trades", "interactions"):
        items = solution.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            kind = item.get("kind") if isinstance(item, dict) else None
            message = _UNSUPPORTED.get((section, kind)) if isinstance(kind, str) else None
            if message is not None:
                raise InvalidSolution(_join(where, f"{section}[{index}].kind"), message)


def _parse(model: type[Any], data: Any, where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        path, message = describe_validation_error(error)
        raise InvalidSolution(_join(where, path), message) from None


def _resolver(instance: AuctionInstance) -> Any:
    chains = list(instance.chains)
    default: ChainId | None = chains[0] if len(chains) == 1 else None

    def key(raw: str, field: str) -> AssetId:
        try:
            if "/" in raw:
                return parse_asset_id(raw)
            if default is None:
                raise InvalidSolution(
                    field, f"{raw!r} is a plain address, but the auction has several chains; use its CAIP-19 id"
                )
            return asset_id(default, raw)
        except InvalidSolution:
            raise
        except InvalidInput as error:
            raise InvalidSolution(field, error.reason) from None

    return key


def _to_solution(parsed: SolutionJson, key: Any, where: str) -> Solution:
    prices: dict[AssetId, int] = {}
    for raw, price in parsed.prices.items():
        asset = key(raw, _join(where, f"prices[{raw}]"))
        if asset in prices:
            raise InvalidSolution(
                _join(where, f"prices[{raw}]"), f"prices {asset} a second time (addresses are case-insensitive)"
            )
        prices[asset] = price
    trades = tuple(
        Fulfillment(order=trade.order, executed_amount=trade.executed_amount, fee=trade.fee) for trade in parsed.trades
    )
    interactions = tuple(
        LiquidityInteraction(
            id=step.id,
            input_token=key(step.input_token, _join(where, f"interactions[{index}].inputToken")),
            output_token=key(step.output_token, _join(where, f"interactions[{index}].outputToken")),
            input_amount=step.input_amount,
            output_amount=step.output_amount,
            internalize=step.internalize,
        )
        for index, step in enumerate(parsed.interactions)
    )
    for section, calls in (
        ("preInteractions", parsed.pre_interactions),
        ("postInteractions", parsed.post_interactions),
    ):
        if calls:
            raise InvalidSolution(
                _join(where, f"{section}[0]"),
                "plain calls cannot be replayed against the auction's liquidity; leave the list empty",
            )
    return Solution(id=parsed.id, prices=prices, trades=trades, interactions=interactions, gas=parsed.gas)


# ------------------------------------------------------------------------------------------------ writing
def solution_to_json(solution: Solution, *, plain_addresses: bool = False) -> dict[str, Any]:
    """The solution as CoW-shaped JSON data.

    Args:
        solution: What to write.
        plain_addresses: Key tokens by plain address, as CoW's own services expect; only when every token
            lives on one chain. By default tokens are CAIP-19 ids.

    Raises:
        InvalidSolution: ``plain_addresses`` was asked for a solution that trades on several chains.
    """
    assets = set(solution.prices)
    for step in solution.interactions:
        assets.update((step.input_token, step.output_token))
    if plain_addresses and len({chain_of(asset) for asset in assets}) > 1:
        raise InvalidSolution("prices", "plain addresses are ambiguous on several chains; write CAIP-19 ids")

    def key(asset: AssetId) -> str:
        return address_of(asset) if plain_addresses else asset

    try:
        parsed = _solution_json(solution, key)
    except ValidationError as error:
        path, message = describe_validation_error(error)
        raise InvalidSolution(path, f"cannot write this solution: {message}") from None
    data: dict[str, Any] = parsed.model_dump(mode="json", by_alias=True)
    return data


def _solution_json(solution: Solution, key: Any) -> SolutionJson:
    # Validated from JSON-shaped data so that a problem is reported with its JSON path.
    trades = [
        {"kind": "fulfillment", "order": trade.order, "executedAmount": trade.executed_amount, "fee": trade.fee}
        for trade in solution.trades
    ]
    interactions = [
        {
            "kind": "liquidity",
            "internalize": step.internalize,
            "id": step.id,
            "inputToken": key(step.input_token),
            "outputToken": key(step.output_token),
            "inputAmount": step.input_amount,
            "outputAmount": step.output_amount,
        }
        for step in solution.interactions
    ]
    data = {
        "id": solution.id,
        "prices": {key(asset): price for asset, price in solution.prices.items()},
        "trades": trades,
        "preInteractions": [],
        "interactions": interactions,
        "postInteractions": [],
        "gas": solution.gas,
    }
    parsed: SolutionJson = SolutionJson.model_validate(data)
    return parsed


def solutions_to_wire(instance: AuctionInstance, solutions: Iterable[Solution]) -> dict[str, Any]:
    """The body of a ``POST /solve`` answer, ``{"solutions": [...]}``, as CoW's driver reads it.

    On an instance of one chain, tokens are plain lower-case addresses; on several chains, CAIP-19 ids. Ids
    are JSON numbers: kept when every id is a distinct number already, otherwise each solution is numbered
    by its position. ``preInteractions`` and ``postInteractions`` are present (empty), ``gas`` an integer.

    Raises:
        InvalidSolution: A solution cannot be written (an amount out of range).

    Examples:
        >>> from auction.synthetic import generate_instance
        >>> instance = generate_instance(1, orders=1)
        >>> intent = instance.intents[0]
        >>> solution = Solution(id="mine", prices={intent.sell: 3, intent.buy: 5},
        ...                     trades=(Fulfillment(order=intent.uid, executed_amount=10, fee=0),))
        >>> body = solutions_to_wire(instance, [solution])
        >>> body["solutions"][0]["id"], sorted(body["solutions"][0])
        (0, ['id', 'interactions', 'postInteractions', 'preInteractions', 'prices', 'trades'])
        >>> solutions_from_wire(body, instance)[0].trades == solution.trades
        True
    """
    listed = list(solutions)
    plain = len(instance.chains) == 1
    ids = [solution.id for solution in listed]
    numeric = all(_NUMERIC_ID.match(value) and int(value) < 2**64 for value in ids) and len(set(ids)) == len(ids)
    written = []
    for position, solution in enumerate(listed):
        data = solution_to_json(solution, plain_addresses=plain)
        data["id"] = int(solution.id) if numeric else position
        written.append(data)
    return {"solutions": written}


def solutions_from_wire(data: Any, instance: AuctionInstance) -> tuple[Solution, ...]:
    """Read the body of a ``POST /solve`` answer, ``{"solutions": [...]}``, for ``instance``.

    Raises:
        InvalidSolution: The body is malformed; ``field`` is the JSON path of the first problem.
    """
    if not isinstance(data, dict):
        raise InvalidSolution("", f'an answer is a JSON object {{"solutions": [...]}}, not {type(data).__name__}')
    unknown = sorted(set(data) - {"solutions"})
    if unknown:
        raise InvalidSolution(unknown[0], 'is not a field of an answer; it holds only "solutions"')
    solutions = data.get("solutions", [])
    if not isinstance(solutions, list):
        raise InvalidSolution("solutions", f"must be a list, not {type(solutions).__name__}")
    out = []
    for index, item in enumerate(solutions):
        where = f"solutions[{index}]"
        if not isinstance(item, dict):
            raise InvalidSolution(where, f"a solution is a JSON object, not {type(item).__name__}")
        _refuse_unsupported(item, where)
        out.append(_to_solution(_parse(SolutionJson, item, where), _resolver(instance), where))
    return tuple(out)


def submission_to_json(submission: Submission) -> dict[str, Any]:
    """The submission as ``{"solver": NAME, "solutions": [...]}`` with CAIP-19 token keys."""
    return {"solver": submission.solver, "solutions": [solution_to_json(s) for s in submission.solutions]}


def dump_submission(submission: Submission, path: str | os.PathLike[str]) -> None:
    """Write a submission as JSON (see :func:`submission_to_json`)."""
    Path(path).write_text(json.dumps(submission_to_json(submission), indent=1) + "\n", encoding="utf-8")
