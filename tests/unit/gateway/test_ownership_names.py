"""Rights confirmation compares the registered owner with the seller's names itself: equal once
case, punctuation, width and legal forms are normalised; strict otherwise."""
from __future__ import annotations

import pytest

from gateway.listings.rules import owner_matches_seller, same_owner
from kernel.parties import Organisation


@pytest.mark.parametrize("owner,name", [
    ("Photonics Lab Inc.", "Photonics Lab Inc."),
    ("PHOTONICS LAB, INC", "Photonics Lab Inc."),              # case and punctuation
    ("ＰＨＯＴＯＮＩＣＳ　ＬＡＢ　ＩＮＣ．", "Photonics Lab Inc."),   # full width
    ("Photonics-Lab GmbH", "Photonics Lab Inc."),              # another legal form
    ("Photonics Lab", "Photonics Lab Incorporated"),           # none at all
    ("Société Générale S.A.", "Societe Generale"),             # accents
    ("深圳光子实验室有限公司", "深圳光子实验室"),                  # a Chinese legal form
])
def test_the_same_owner_under_normalisation(owner: str, name: str) -> None:
    assert same_owner(owner, name)


@pytest.mark.parametrize("owner,name", [
    ("Photonics Laboratories Inc.", "Photonics Lab Inc."),     # a near spelling is not the name
    ("Photonic Lab Inc.", "Photonics Lab Inc."),
    ("Photonics Lab Holdings Inc.", "Photonics Lab Inc."),     # a parent or subsidiary
    ("化为技术有限公司", "华为技术有限公司"),                      # reads "huawei jishu" too
    ("化为技术", "Huawei Jishu Co., Ltd."),                      # never a transliteration
    ("华为技术有限公司", "Huawei Technologies Co., Ltd."),        # nor a translation
    ("", "Photonics Lab Inc."),
])
def test_a_different_owner_is_a_mismatch(owner: str, name: str) -> None:
    assert not same_owner(owner, name)


def test_the_seller_matches_by_its_legal_name_or_its_latin_name() -> None:
    seller = Organisation(legal_name="深圳光子实验室有限公司", legal_name_latin="Shenzhen Photonics Lab Co., Ltd.")
    assert owner_matches_seller("深圳光子实验室", seller)
    assert owner_matches_seller("SHENZHEN PHOTONICS LAB CO LTD", seller)
    assert not owner_matches_seller("Shenzhen Photonics Co., Ltd.", seller)
