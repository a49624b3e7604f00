"""Bulk import is all or nothing and reports every bad row and field; IPC and territory rules."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.listings import bulk, service
from gateway.listings.codes import ipc_prefixes, normalise_ipc, normalise_ipc_prefix
from gateway.listings.errors import ImportRejected, InvalidListing
from gateway.listings.models import IpAsset, Listing, ListingIpcPrefix
from tests.support.listings import Staff, draft_body, draft_data

HEADER = ("direction,seller_id,title_zh,title_en,technology_field,ipc_classes,trl,transaction_type,"
          "territory,pricing_mode,asking_price,starting_price,reserve_price,currency,period_start,period_end")


ASSET_COLUMNS = ",".join(f"assets.{i}.{f}" for i in (0, 1)
                         for f in ("kind", "title", "jurisdiction", "number", "status", "expires_on"))
PATENT = {"assets.0.kind": "patent", "assets.0.title": "Lidar patent", "assets.0.jurisdiction": "US",
          "assets.0.number": "US11000001B2", "assets.0.status": "granted", "assets.0.expires_on": "2038-04-01"}


def _csv_row(seller: int, header: str = HEADER, **over: str) -> str:
    row = {"direction": "inbound", "seller_id": str(seller), "title_zh": "激光雷达", "title_en": "Lidar",
           "technology_field": "transport", "ipc_classes": "G01S 17/89;G01S 7/48", "trl": "7",
           "transaction_type": "sole_licence", "territory": "CN;HK", "pricing_mode": "fixed_price",
           "asking_price": "120000.00", "starting_price": "", "reserve_price": "", "currency": "USD",
           "period_start": "2026-12-01T00:00:00Z", "period_end": "2027-03-01T00:00:00Z"}
    row.update(over)
    return ",".join(row.get(c, "") for c in header.split(","))


def _count(s, model: type = Listing) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("symbol,normal", [
    ("H04W 72/04", "H04W 72/04"), ("h04w72/04", "H04W 72/04"), ("A61K  31 / 00", "A61K 31/00"),
    ("G06F 0016/2455", "G06F 16/2455"), ("H04W", "H04W")])
def test_ipc_symbols_are_normalised(symbol: str, normal: str) -> None:
    assert normalise_ipc(symbol) == normal


@pytest.mark.parametrize("bad", ["I04W 72/04", "H4W 72/04", "H04W 72", "H04W 72/4", "H04", "H04W 72/04a", ""])
def test_malformed_ipc_symbols_are_refused(bad: str) -> None:
    with pytest.raises(InvalidListing):
        normalise_ipc(bad)


def test_ipc_prefixes_cover_each_level() -> None:
    assert ipc_prefixes("H04W 72/04") == ["H", "H04", "H04W", "H04W 72", "H04W 72/04"]
    assert normalise_ipc_prefix("h04w72") == "H04W 72"


def test_a_valid_csv_imports_every_row_with_references(db, parties, clock) -> None:
    text = "\n".join([HEADER] + [_csv_row(parties["seller_us"]) for _ in range(3)])
    with db.transaction() as s:
        ids = bulk.import_listings(s, bulk.rows_from_csv(text), subcentre_id=parties["us"],
                                   actor=Staff(parties["us"]), now=clock.now())
        assert len(ids) == 3
        listing = s.get(Listing, ids[0])
        assert (listing.state, listing.territory, listing.ipc_classes) == ("draft", ["CN", "HK"], ["G01S 17/89", "G01S 7/48"])
        assert listing.asking_price.amount == 120000 and listing.reference.startswith("LST-2026-")
        assert s.execute(select(func.count()).select_from(ListingIpcPrefix)
                         .where(ListingIpcPrefix.prefix == "G01S")).scalar_one() == 3


def test_a_csv_with_errors_writes_nothing_and_lists_every_bad_row_and_field(db, parties, clock) -> None:
    seller = parties["seller_us"]
    text = "\n".join([HEADER, _csv_row(seller), _csv_row(seller, ipc_classes="H04W72/4x", trl="12"),
                      _csv_row(seller), _csv_row(parties["seller_dk"], territory="XX;CN", currency="USX")])
    with db.transaction() as s:
        before = _count(s)
        with pytest.raises(ImportRejected) as err:
            bulk.import_listings(s, bulk.rows_from_csv(text), subcentre_id=parties["us"],
                                 actor=Staff(parties["us"]), now=clock.now())
        assert _count(s) == before
    errors = err.value.extra["errors"]
    assert set(errors) == {"rows.2.trl", "rows.2.ipc_classes", "rows.4.seller_id",
                           "rows.4.asking_price.currency", "rows.4.territory"}
    assert errors["rows.4.territory"] == ["'XX' is not an ISO 3166-1 alpha-2 country code"]
    with db.transaction() as s:  # the schema error on row 2 hides no rule error on a later row
        rows = bulk.rows_from_csv("\n".join([HEADER, _csv_row(seller, ipc_classes="H04W72/4x"),
                                             _csv_row(seller, territory="XX;CN")]))
        with pytest.raises(ImportRejected) as err:
            bulk.validate_rows(s, rows, parties["us"])
        assert set(err.value.extra["errors"]) == {"rows.1.ipc_classes", "rows.2.territory"}


def test_a_json_import_with_one_bad_row_writes_nothing(db, parties, clock) -> None:
    good = draft_body(parties["seller_us"])
    bad = draft_body(parties["seller_us"], pricing_mode="auction", title_zh=None, title_en=None)
    with db.transaction() as s:
        before = _count(s)
        with pytest.raises(ImportRejected) as err:
            bulk.import_listings(s, bulk.rows_from_json({"rows": [good, good, bad]}), subcentre_id=parties["us"],
                                 actor=Staff(parties["us"]), now=clock.now())
        assert _count(s) == before
    errors = err.value.extra["errors"]
    # no title at all, abstracts without their titles, and auction prices missing
    assert set(errors) == {"rows.3.title_en", "rows.3.title_zh", "rows.3.starting_price", "rows.3.asking_price"}


def test_unknown_csv_columns_are_refused_before_any_row(db, parties) -> None:
    with pytest.raises(ImportRejected) as err:
        bulk.rows_from_csv("direction,colour\ninbound,red\n")
    assert err.value.extra["errors"]["header"] == ["unknown column 'colour'"]


def test_a_seller_not_represented_by_the_sub_centre_is_refused(db, parties, clock) -> None:
    with db.transaction() as s, pytest.raises(InvalidListing) as err:
        service.create_listing(s, draft_data(parties["seller_dk"]), subcentre_id=parties["us"],
                               actor=Staff(parties["us"]), now=clock.now())
    assert "seller_id" in err.value.extra["errors"]


def test_territory_codes_must_be_iso_3166(db, parties, clock) -> None:
    with db.transaction() as s, pytest.raises(InvalidListing) as err:
        service.create_listing(s, draft_data(parties["seller_us"], territory=["CN", "EU", "UK"]),
                               subcentre_id=parties["us"], actor=Staff(parties["us"]), now=clock.now())
    assert len(err.value.extra["errors"]["territory"]) == 2


def test_csv_assets_are_imported_with_their_listings(db, parties, clock) -> None:
    header = f"{HEADER},{ASSET_COLUMNS}"
    seller = parties["seller_us"]
    text = "\n".join([header, _csv_row(seller, header, **PATENT, **{
        "assets.1.kind": "know_how", "assets.1.title": "Calibration recipe"}),
        _csv_row(seller, header, **{**PATENT, "assets.0.jurisdiction": "EP", "assets.0.number": "EP3000001B1"}),
        _csv_row(seller, header)])
    with db.transaction() as s:
        ids = bulk.import_listings(s, bulk.rows_from_csv(text), subcentre_id=parties["us"],
                                   actor=Staff(parties["us"]), now=clock.now())
        assets = [[(a.kind, a.jurisdiction, a.number, a.status, a.expires_on and a.expires_on.isoformat())
                   for a in s.get_one(Listing, i).assets] for i in ids]
    assert assets == [
        [("patent", "US", "US11000001B2", "granted", "2038-04-01"), ("know_how", None, None, None, None)],
        [("patent", "EP", "EP3000001B1", "granted", "2038-04-01")],
        []]


def test_csv_asset_errors_name_row_and_column_and_write_nothing(db, parties, clock) -> None:
    header = f"{HEADER},{ASSET_COLUMNS}"
    seller = parties["seller_us"]
    text = "\n".join([
        header,
        _csv_row(seller, header, **PATENT),
        # the asset rules: an expiry is required, and the jurisdiction must be a country or an office
        _csv_row(seller, header, **{**PATENT, "assets.0.expires_on": "", "assets.0.jurisdiction": "XX"}),
        # a good first asset, a second with a bad status (shape) and no number (rule)
        _csv_row(seller, header, **PATENT, **{
            "assets.1.kind": "patent", "assets.1.title": "Second", "assets.1.jurisdiction": "CN",
            "assets.1.status": "pending", "assets.1.expires_on": "2031-01-01"}),
        # a malformed date is reported once, as a shape error, beside the row's other errors
        _csv_row(seller, header, trl="0", **{**PATENT, "assets.0.expires_on": "2031-13-01"}),
        # asset columns numbered from 1 with nothing in 0: asset 0 is empty
        _csv_row(seller, header, **{"assets.1.kind": "know_how", "assets.1.title": "Recipe"}),
    ])
    with db.transaction() as s:
        before = (_count(s), _count(s, IpAsset))
        with pytest.raises(ImportRejected) as err:
            bulk.import_listings(s, bulk.rows_from_csv(text), subcentre_id=parties["us"],
                                 actor=Staff(parties["us"]), now=clock.now())
        assert (_count(s), _count(s, IpAsset)) == before
    errors = err.value.extra["errors"]
    assert set(errors) == {
        "rows.2.assets.0.expires_on", "rows.2.assets.0.jurisdiction",
        "rows.3.assets.1.status", "rows.3.assets.1.number",
        "rows.4.trl", "rows.4.assets.0.expires_on",
        "rows.5.assets.0.kind", "rows.5.assets.0.title"}
    assert errors["rows.2.assets.0.expires_on"] == ["required for a patent"]
    assert errors["rows.2.assets.0.jurisdiction"] == ["'XX' is not an ISO 3166-1 alpha-2 country code"]
    assert errors["rows.3.assets.1.number"] == ["required for a patent"]
    assert errors["rows.4.assets.0.expires_on"] == ["Not a valid date."]
    assert err.value.detail.startswith("4 of 5 rows have errors")


def test_json_asset_errors_are_all_listed_before_anything_is_written(db, parties, clock) -> None:
    seller = parties["seller_us"]
    patent = {"kind": "patent", "title": "Recognition", "jurisdiction": "WO", "number": "WO2024000001",
              "status": "application", "expires_on": "2044-01-01"}
    rows = [draft_body(seller, assets=[patent, {"kind": "software_copyright", "title": "Inspector v2"}]),
            draft_body(seller, assets=[{**patent, "jurisdiction": None, "number": None, "status": None}]),
            draft_body(seller, assets=[patent, {**patent, "jurisdiction": "cn"}, {**patent, "expires_on": None}])]
    with db.transaction() as s:
        before = (_count(s), _count(s, IpAsset))
        with pytest.raises(ImportRejected) as err:
            bulk.import_listings(s, bulk.rows_from_json(rows), subcentre_id=parties["us"],
                                 actor=Staff(parties["us"]), now=clock.now())
        assert (_count(s), _count(s, IpAsset)) == before
    assert set(err.value.extra["errors"]) == {
        "rows.2.assets.0.jurisdiction", "rows.2.assets.0.number", "rows.2.assets.0.status",
        "rows.3.assets.1.jurisdiction", "rows.3.assets.2.expires_on"}
    with db.transaction() as s:  # the good rows alone go in, assets and all
        ids = bulk.import_listings(s, bulk.rows_from_json([rows[0], draft_body(seller, assets=[patent])]),
                                   subcentre_id=parties["us"], actor=Staff(parties["us"]), now=clock.now())
        assert [[a.kind for a in s.get_one(Listing, i).assets] for i in ids] == [
            ["patent", "software_copyright"], ["patent"]]
