"""EIP-712 typed data, digests, signatures and their verification."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from intents import BundleIntent, InvalidSignature, SwapIntent, digest, recover_signer, sign, typed_data, verify
from intents.signing import compute_uid, domain

KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
ADDRESS = Account.from_key(KEY).address.lower()
OTHER_ADDRESS = Account.from_key(OTHER_KEY).address.lower()

DETERMINISTIC = settings(derandomize=True, deadline=None, max_examples=30)


def swap(**changes: object) -> SwapIntent:
    data: dict[str, object] = {
        "sell": "1000 USDC@ethereum",
        "buy": "0.3 ETH@arbitrum",
        "nonce": 5,
        "valid_to": 1_800_000_000,
    }
    data.update(changes)
    return SwapIntent(**data)


def bundle(**changes: object) -> BundleIntent:
    data: dict[str, object] = {
        "legs": [
            {"sell": "1000 USDC@arbitrum", "buy": "0.3 ETH@arbitrum"},
            {"sell": "0.3 ETH@base", "buy": "990 USDC@base", "kind": "buy"},
        ],
        "nonce": 9,
    }
    data.update(changes)
    return BundleIntent(**data)


def eip712_hash(full_message: dict[str, Any]) -> bytes:
    signable = encode_typed_data(full_message=full_message)
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
]


APP_DATA = "0x" + "a5" * 32


def test_swap_digest_matches_an_independent_eip712_encoding() -> None:
    intent = swap(owner=ADDRESS, partially_fillable=True, app_data=APP_DATA)
    expected = eip712_hash(
        {
            "types": {
                "EIP712Domain": DOMAIN_TYPE,
                "Intent": [
                    {"name": "owner", "type": "address"},
                    {"name": "sellToken", "type": "string"},
                    {"name": "sellAmount", "type": "uint256"},
                    {"name": "buyToken", "type": "string"},
                    {"name": "buyAmount", "type": "uint256"},
                    {"name": "kind", "type": "string"},
                    {"name": "partiallyFillable", "type": "bool"},
                    {"name": "validTo", "type": "uint32"},
                    {"name": "receiver", "type": "address"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "appData", "type": "bytes32"},
                ],
            },
            "primaryType": "Intent",
            "domain": {"name": "Intent Arena", "version": "1", "chainId": 1},
            "message": {
                "owner": ADDRESS,
                "sellToken": "eip155:1/erc20:0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
                "sellAmount": 10**9,
                "buyToken": "eip155:42161/erc20:0x82af49447d8a07e3bd95bd0d56f35241523fbab1",
                "buyAmount": 3 * 10**17,
                "kind": "sell",
                "partiallyFillable": True,
                "validTo": 1_800_000_000,
                "receiver": ADDRESS,  # no receiver: the owner
                "nonce": 5,
                "appData": bytes.fromhex("a5" * 32),
            },
        }
    )
    assert len(expected) == 32
    assert digest(intent) == expected
    assert intent.uid == "0x" + expected.hex() + ADDRESS[2:] + f"{1_800_000_000:08x}"
    assert compute_uid(intent) == intent.uid


def test_bundle_digest_matches_an_independent_eip712_encoding() -> None:
    receiver = "0x" + "cd" * 20
    b = bundle(owner=ADDRESS, receiver=receiver)
    expected = eip712_hash(
        {
            "types": {
                "EIP712Domain": DOMAIN_TYPE,
                "Bundle": [
                    {"name": "owner", "type": "address"},
                    {"name": "legs", "type": "Leg[]"},
                    {"name": "validTo", "type": "uint32"},
                    {"name": "receiver", "type": "address"},
                    {"name": "nonce", "type": "uint256"},
                ],
                "Leg": [
                    {"name": "sellToken", "type": "string"},
                    {"name": "sellAmount", "type": "uint256"},
                    {"name": "buyToken", "type": "string"},
                    {"name": "buyAmount", "type": "uint256"},
                    {"name": "kind", "type": "string"},
                ],
            },
            "primaryType": "Bundle",
            "domain": {"name": "Intent Arena", "version": "1", "chainId": 42161},  # the first leg's sell chain
            "message": {
                "owner": ADDRESS,
                "legs": [
                    {
                        "sellToken": "eip155:42161/erc20:0xaf88d065e77c8cc2239327c5edb3a432268e5831",
                        "sellAmount": 10**9,
                        "buyToken": "eip155:42161/erc20:0x82af49447d8a07e3bd95bd0d56f35241523fbab1",
                        "buyAmount": 3 * 10**17,
                        "kind": "sell",
                    },
                    {
                        "sellToken": "eip155:8453/erc20:0x4200000000000000000000000000000000000006",
                        "sellAmount": 3 * 10**17,
                        "buyToken": "eip155:8453/erc20:0x833589fcd6edb6e08f4c7c32d4f71b54bda02913",
                        "buyAmount": 990 * 10**6,
                        "kind": "buy",
                    },
                ],
                "validTo": 2**32 - 1,
                "receiver": receiver,
                "nonce": 9,
            },
        }
    )
    assert digest(b) == expected
    assert b.uid == "0x" + expected.hex() + ADDRESS[2:] + "ffffffff"


def test_domain_uses_the_sell_chain() -> None:
    assert domain(swap(sell="1 DAI@arbitrum", buy="USDC@ethereum", buy_amount=1))["chainId"] == 42161
    assert typed_data(swap())["domain"] == {"name": "Intent Arena", "version": "1", "chainId": 1}
    assert typed_data(bundle())["primaryType"] == "Bundle"


def test_non_evm_chains_leave_chain_id_out() -> None:
    intent = swap(sell="cosmos:cosmoshub-4/slip44:118", sell_amount=5)
    assert "chainId" not in domain(intent)
    assert [f["name"] for f in typed_data(intent)["types"]["EIP712Domain"]] == ["name", "version"]
    assert digest(intent) == eip712_hash(typed_data(intent))
    assert sign(intent, KEY).verify()


def test_sign_then_verify() -> None:
    intent = swap()
    signed = sign(intent, KEY)
    assert signed.owner == ADDRESS
    assert signed.signing_scheme == "eip712"
    assert len(bytes.fromhex(signed.signature[2:])) == 65
    assert verify(signed)
    assert recover_signer(signed) == ADDRESS == signed.owner
    assert signed.uid != intent.uid  # the owner is part of the uid
    assert signed.uid == compute_uid(signed)
    assert signed.uid.endswith(ADDRESS[2:] + f"{intent.valid_to:08x}")
    # The content other than owner and signature is unchanged.
    assert signed.model_dump(exclude={"uid", "owner", "signature"}) == intent.model_dump(
        exclude={"uid", "owner", "signature"}
    )


def test_signing_is_deterministic_and_methods_agree() -> None:
    assert swap().sign(KEY) == sign(swap(), KEY)  # RFC 6979 nonces
    assert swap().sign(KEY).verify()
    assert sign(swap(), bytes.fromhex(KEY[2:])) == sign(swap(), KEY)


def test_sign_replaces_a_given_uid() -> None:
    given_uid = "0x" + "ab" * 56
    signed = swap(uid=given_uid).sign(KEY)
    assert signed.uid != given_uid
    assert signed.uid == compute_uid(signed)


def test_bundles_sign_and_verify() -> None:
    signed = bundle().sign(KEY)
    assert signed.owner == ADDRESS
    assert verify(signed)
    assert not verify(signed.replace(nonce=10))
    legs = list(signed.legs)
    legs[1] = legs[1].replace(buy_amount=legs[1].buy_amount + 1)
    assert not verify(signed.replace(legs=legs))


def test_eth_sign_scheme() -> None:
    signed = sign(swap(), KEY, scheme="ethSign")
    assert signed.signing_scheme == "ethSign"
    assert verify(signed)
    assert recover_signer(signed) == ADDRESS
    # The same bytes do not verify as an EIP-712 signature.
    assert not verify(signed.replace(signing_scheme="eip712"))


SIGNED_TAMPERING = st.one_of(
    st.just({"owner": OTHER_ADDRESS}),
    st.builds(lambda a: {"sell_amount": a}, st.integers(min_value=1, max_value=10**30).filter(lambda a: a != 10**9)),
    st.builds(
        lambda a: {"buy_amount": a}, st.integers(min_value=0, max_value=10**30).filter(lambda a: a != 3 * 10**17)
    ),
    st.just({"sell": "USDC@arbitrum"}),
    st.just({"buy": "WETH@ethereum"}),
    st.just({"kind": "buy"}),
    st.just({"partially_fillable": True}),
    st.builds(
        lambda t: {"valid_to": t}, st.integers(min_value=0, max_value=2**32 - 1).filter(lambda t: t != 1_800_000_000)
    ),
    st.just({"receiver": "0x" + "cd" * 20}),
    st.builds(lambda n: {"nonce": n}, st.integers(min_value=0, max_value=2**256 - 1).filter(lambda n: n != 5)),
    st.builds(lambda d: {"app_data": "0x" + d.hex()}, st.binary(min_size=32, max_size=32).filter(any)),
)


@DETERMINISTIC
@given(SIGNED_TAMPERING)
def test_tampering_with_any_signed_field_breaks_the_signature(changes: dict[str, object]) -> None:
    signed = swap().sign(KEY)
    tampered = signed.replace(**changes)
    assert tampered.signature == signed.signature
    assert not verify(tampered)
    assert not tampered.verify()


def test_app_data_is_signed() -> None:
    plain = swap().sign(KEY)
    tagged = swap(app_data=APP_DATA).sign(KEY)
    assert typed_data(tagged)["message"]["appData"] == APP_DATA
    assert tagged.uid != plain.uid
    assert digest(tagged) != digest(plain)
    assert tagged.signature != plain.signature
    # One signature no longer covers both: moving it to the other app data breaks it.
    moved = plain.replace(app_data=APP_DATA)
    assert moved.uid == tagged.uid
    assert not verify(moved)
    assert verify(moved.replace(signature=tagged.signature))


def test_the_documented_signed_fields_are_the_typed_data() -> None:
    import intents.signing

    doc = intents.signing.__doc__ or ""
    assert "uint256 nonce,bytes32 appData)" in doc
    assert [f["name"] for f in typed_data(swap())["types"]["Intent"]][-1] == "appData"
    for unsigned in ("order_class", "fee_policies", "signing_scheme"):
        assert f"``{unsigned}``" in doc.split("Unsigned fields")[1]
    assert "``app_data``" in doc.split("Unsigned fields")[0]
    assert "appData" not in str(typed_data(bundle())["types"])  # bundles have no app data


def test_a_signature_by_another_key_does_not_verify() -> None:
    mine = swap().sign(KEY)
    theirs = swap().sign(OTHER_KEY)
    forged = mine.replace(signature=theirs.signature)
    assert recover_signer(forged) != forged.owner
    assert not verify(forged)


@pytest.mark.parametrize("signature", ["0x" + "00" * 64, "0x" + "00" * 66, "0x01"])
def test_wrong_length_signatures_raise_invalid_signature(signature: str) -> None:
    intent = swap().sign(KEY).replace(signature=signature)
    with pytest.raises(InvalidSignature, match="65 bytes"):
        recover_signer(intent)
    assert not verify(intent)


def test_missing_and_unrecoverable_signatures() -> None:
    with pytest.raises(InvalidSignature, match="missing"):
        recover_signer(swap())
    assert not verify(swap())
    garbage = swap().replace(signature="0x" + "00" * 64 + "05")  # v = 5
    with pytest.raises(InvalidSignature, match="does not recover"):
        recover_signer(garbage)
    zero = swap().replace(signature="0x" + "00" * 64 + "1b")  # r = s = 0
    with pytest.raises(InvalidSignature):
        recover_signer(zero)
    assert not verify(zero)


@pytest.mark.parametrize("scheme", ["preSign", "eip1271"])
def test_on_chain_schemes_cannot_be_checked_offline(scheme: str) -> None:
    intent = swap().sign(KEY).replace(signing_scheme=scheme)
    assert not verify(intent)
    with pytest.raises(InvalidSignature, match="on-chain"):
        recover_signer(intent)


def test_bad_private_keys() -> None:
    with pytest.raises(InvalidSignature, match="private key"):
        sign(swap(), "0x1234")


_CHAINS = st.sampled_from(["ethereum", "arbitrum", "base"])


@settings(derandomize=True, deadline=None, max_examples=60)
@given(
    sell_chain=_CHAINS,
    buy_chain=_CHAINS,
    amount=st.integers(min_value=1, max_value=2**256 - 1),
    limit=st.integers(min_value=1, max_value=2**256 - 1),
    nonce=st.integers(min_value=0, max_value=2**256 - 1),
    valid_to=st.integers(min_value=0, max_value=2**32 - 1),
    kind=st.sampled_from(["sell", "buy"]),
    partial=st.booleans(),
    receiver=st.none() | st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex()),
    app_data=st.binary(min_size=32, max_size=32).map(lambda raw: "0x" + raw.hex()),
)
def test_the_direct_digest_equals_eth_accounts_generic_encoder_on_any_swap(
    sell_chain: str,
    buy_chain: str,
    amount: int,
    limit: int,
    nonce: int,
    valid_to: int,
    kind: str,
    partial: bool,
    receiver: str | None,
    app_data: str,
) -> None:
    intent = SwapIntent(
        sell=f"USDC@{sell_chain}",
        sell_amount=amount,
        buy=f"WETH@{buy_chain}",
        buy_amount=limit,
        nonce=nonce,
        valid_to=valid_to,
        kind=kind,
        partially_fillable=partial,
        receiver=receiver,
        app_data=app_data,
    )
    assert digest(intent) == eip712_hash(typed_data(intent))


@settings(derandomize=True, deadline=None, max_examples=30)
@given(
    legs=st.lists(
        st.tuples(_CHAINS, st.integers(min_value=1, max_value=2**128), st.sampled_from(["sell", "buy"])),
        min_size=2,
        max_size=4,
    ),
    nonce=st.integers(min_value=0, max_value=2**256 - 1),
)
def test_the_direct_digest_equals_eth_accounts_generic_encoder_on_any_bundle(
    legs: list[tuple[str, int, str]], nonce: int
) -> None:
    intent = BundleIntent(
        legs=[
            {"sell": f"DAI@{chain}", "sell_amount": amount, "buy": f"USDC@{chain}", "buy_amount": amount, "kind": kind}
            for chain, amount, kind in legs
        ],
        nonce=nonce,
    )
    assert digest(intent) == eip712_hash(typed_data(intent))
