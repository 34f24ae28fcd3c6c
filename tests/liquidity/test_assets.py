from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liquidity.assets import EXACT, Chain, Token, TokenList, asset_id, chain_id, chain_name, chain_of, to_base_units
from liquidity.errors import InvalidInput, UnknownAsset

TOKENS = TokenList.well_known()


def test_friendly_names_resolve_per_chain() -> None:
    eth_usdc = TOKENS.resolve("USDC@ethereum")
    arb_usdc = TOKENS.resolve("usdc@arbitrum")
    assert eth_usdc != arb_usdc
    assert chain_of(arb_usdc) == "eip155:42161"
    assert TOKENS.resolve("ETH@arbitrum") == TOKENS.resolve("WETH@arbitrum")
    assert TOKENS.resolve("USDC@eip155:1") == eth_usdc
    assert TOKENS.resolve(eth_usdc) == eth_usdc


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("USDC", "names no chain"),
        ("USDC@mars", "unknown chain"),
        ("FOO@ethereum", "no token 'FOO'"),
        ("USDT@base", "no token 'USDT' on base"),
        ("eip155:1/erc20:nope!", "CAIP-19"),
    ],
)
def test_unknown_assets_say_why(text: str, words: str) -> None:
    with pytest.raises(UnknownAsset, match=words):
        TOKENS.resolve(text)


def test_ambiguous_symbols_are_refused() -> None:
    a = Token(asset=asset_id("ethereum", "0x" + "01" * 20), symbol="X", decimals=18)
    b = Token(asset=asset_id("ethereum", "0x" + "02" * 20), symbol="x", decimals=18)
    with pytest.raises(UnknownAsset, match="ambiguous"):
        TokenList([a, b]).resolve("X@ethereum")


def test_amounts_are_exact() -> None:
    assert TOKENS.parse_amount("1000 USDC@ethereum")[1] == 1_000_000_000
    assert TOKENS.parse_amount("0.3 ETH@arbitrum")[1] == 3 * 10**17
    assert TOKENS.parse_amount("1_000.5 DAI@ethereum")[1] == 10005 * 10**17
    for bad, words in [
        ("0.0000001 USDC@ethereum", "more than 6 decimals"),
        ("-1 USDC@ethereum", "negative"),
        ("abc USDC@ethereum", "not a number"),
        ("1000", "AMOUNT SYMBOL@chain"),
        ("nan USDC@ethereum", "finite"),
    ]:
        with pytest.raises(InvalidInput, match=words):
            TOKENS.parse_amount(bad)


@given(units=st.integers(min_value=0, max_value=10**40), decimals=st.integers(min_value=0, max_value=30))
def test_format_and_parse_round_trip(units: int, decimals: int) -> None:
    token = Token(asset=asset_id("base", "0x" + "ab" * 20), symbol="T", decimals=decimals)
    tokens = TokenList([token])
    text = tokens.format_amount(token.asset, units)
    assert tokens.parse_amount(text) == (token.asset, units)
    assert to_base_units(Decimal(units).scaleb(-decimals, context=EXACT), decimals) == units


def test_chains() -> None:
    assert chain_id("Arbitrum") == "eip155:42161"
    assert chain_name("eip155:8453") == "base"
    assert chain_name("eip155:999") == "eip155:999"
    chain = Chain.named("base", gas_price=5)
    assert chain.name == "base"
    with pytest.raises(InvalidInput, match="gas_price"):
        Chain.named("base", gas_price=-1)
    with pytest.raises(InvalidInput, match="CAIP-2"):
        Chain(id="ethereum", name="x", gas_price=1)  # type: ignore[arg-type]
