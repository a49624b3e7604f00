"""The domain rules a listing's fields must meet, checked all at once.

``check_listing`` returns every problem keyed by field (never stops at the first), so a bulk
import can report each bad field of each row, and normalises what it accepts (IPC symbols,
territory codes). Shapes and types are the schemas' job; these are the rules beyond them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from compliance.screening import name_forms
from compliance.screening.normalise import fold
from gateway.listings.codes import check_country, normalise_ipc
from gateway.listings.errors import InvalidListing
from kernel.parties import Organisation

Errors = dict[str, list[str]]
#: patent offices that are not countries but grant patents (EPO, WIPO/PCT, Eurasian, ARIPO, OAPI, GC)
PATENT_OFFICES = frozenset({"EP", "WO", "EA", "AP", "OA", "GC"})
#: what a patent must name (the ``patent_complete`` constraint holds the same)
PATENT_FIELDS = ("jurisdiction", "number", "status", "expires_on")


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def check_texts(data: dict[str, Any], errors: Errors) -> None:
    """One language (title) is enough for a draft; both are needed to publish."""
    if not (data.get("title_zh") or data.get("title_en")):
        _add(errors, "title_en", "give a title in Chinese or English (or both)")
    for lang in ("zh", "en"):
        if data.get(f"abstract_{lang}") and not data.get(f"title_{lang}"):
            _add(errors, f"title_{lang}", f"an abstract in {lang} needs a title in {lang}")


def check_classes(data: dict[str, Any], errors: Errors) -> None:
    symbols: list[str] = []
    for raw in data.get("ipc_classes") or []:
        try:
            symbol = normalise_ipc(raw)
        except InvalidListing as exc:
            _add(errors, "ipc_classes", exc.detail)
            continue
        if symbol not in symbols:
            symbols.append(symbol)
    if not data.get("ipc_classes"):
        _add(errors, "ipc_classes", "give at least one IPC class, like 'H04W 72/04'")
    data["ipc_classes"] = symbols
    countries: list[str] = []
    for raw in data.get("territory") or []:
        try:
            code = check_country(raw.strip().upper() if isinstance(raw, str) else raw)
        except InvalidListing as exc:
            _add(errors, "territory", exc.detail)
            continue
        if code not in countries:
            countries.append(code)
    if not data.get("territory"):
        _add(errors, "territory", "give at least one ISO 3166 alpha-2 country")
    data["territory"] = sorted(countries)


def check_prices(data: dict[str, Any], errors: Errors) -> None:
    mode = data.get("pricing_mode")
    asking, starting, reserve = (data.get(k) for k in ("asking_price", "starting_price", "reserve_price"))
    if mode == "fixed_price" and asking is None:
        _add(errors, "asking_price", "a fixed-price listing needs an asking price")
    if mode == "auction":
        if starting is None:
            _add(errors, "starting_price", "an auction needs a starting price")
        if asking is not None:
            _add(errors, "asking_price", "an auction has a starting price, not an asking price")
    else:
        for name, value in (("starting_price", starting), ("reserve_price", reserve)):
            if value is not None:
                _add(errors, name, f"only auctions have a {name.replace('_', ' ')}")
    for name, value in (("asking_price", asking), ("starting_price", starting), ("reserve_price", reserve)):
        if value is not None and value.amount < 0:
            _add(errors, name, "a price cannot be negative")
    if reserve is not None and starting is not None:
        if reserve.currency != starting.currency:
            _add(errors, "reserve_price", "the reserve price must be in the starting price's currency")
        elif reserve.amount < starting.amount:
            _add(errors, "reserve_price", "the reserve price cannot be below the starting price")


def check_period(data: dict[str, Any], errors: Errors) -> None:
    start, end = data.get("period_start"), data.get("period_end")
    for name, value in (("period_start", start), ("period_end", end)):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            _add(errors, name, "give a time zone (e.g. 2026-12-01T00:00:00Z)")
            return
    if start is not None and end is not None and end <= start:
        _add(errors, "period_end", "the listing period must end after it starts")


def check_seller(session: Session, seller_id: Any, subcentre_id: int, errors: Errors,
                 cache: dict[int, int | None] | None = None) -> None:
    """The seller must be an organisation that the filing sub-centre represents."""
    cache = {} if cache is None else cache
    if seller_id not in cache:
        org = session.get(Organisation, seller_id) if isinstance(seller_id, int) else None
        cache[seller_id] = None if org is None else (org.subcentre_id or 0)
    represented_by = cache[seller_id]
    if represented_by is None:
        _add(errors, "seller_id", f"no organisation {seller_id}")
    elif represented_by != subcentre_id:
        _add(errors, "seller_id", "this organisation is not represented by the filing sub-centre")


def check_asset(asset: dict[str, Any], errors: Errors, prefix: str = "") -> None:
    """The rules of one IP asset (as ``AssetSchema`` loads it), keyed ``<prefix><field>``: a
    patent names its jurisdiction (a country or a patent office), number, status and expiry."""
    if asset.get("kind") != "patent":
        return
    for name in PATENT_FIELDS:
        if not asset.get(name):
            _add(errors, f"{prefix}{name}", "required for a patent")
    jurisdiction = asset.get("jurisdiction")
    if jurisdiction and jurisdiction not in PATENT_OFFICES:
        try:
            check_country(jurisdiction, field="jurisdiction")
        except InvalidListing as exc:
            _add(errors, f"{prefix}jurisdiction", exc.detail)


def check_assets(data: dict[str, Any], errors: Errors) -> None:
    """Each asset filed with the listing, keyed ``assets.<i>.<field>`` (from 0, as sent)."""
    for i, asset in enumerate(data.get("assets") or []):
        if isinstance(asset, dict):
            check_asset(asset, errors, prefix=f"assets.{i}.")


def _script_letters(name: str) -> str:
    """The letters and digits of ``name`` beyond Latin (Han, kana, Hangul...), width-folded."""
    return "".join(ch for ch in fold(name) if ch.isalnum() and ord(ch) > 0x24F)


def same_owner(registered_owner: str, name: str) -> bool:
    """Whether a registered owner and an organisation name are the same name once case,
    punctuation, full/half width and legal forms (Inc., GmbH, 有限公司, 株式会社...) are
    normalised: screening's ``name_forms`` share a joined spelling. Names in a non-Latin
    script are compared by their characters, not by how they read (华为 and 化为 both read
    "huawei"): both must be in that script and one's characters inside the other's (a legal
    form aside); a name is never the same as a transliteration of it."""
    owner_forms = {f.joined for f in name_forms(registered_owner, True)}
    if not owner_forms & {f.joined for f in name_forms(name, True)}:
        return False
    a, b = _script_letters(registered_owner), _script_letters(name)
    return a in b or b in a if (a and b) else not (a or b)


def owner_matches_seller(registered_owner: str, seller: Organisation) -> bool:
    """Whether the registered owner is ``seller`` by its legal name or its Latin legal name
    (strictly: a near spelling is a mismatch, for staff to accept with a reason or not)."""
    return any(same_owner(registered_owner, name) for name in {seller.legal_name, seller.legal_name_latin}
               if name)


def check_listing(session: Session, data: dict[str, Any], subcentre_id: int, *,
                  seller_cache: dict[int, int | None] | None = None) -> Errors:
    """Every rule broken by ``data`` (a whole schema-loaded listing; an edit is checked merged
    over the current values; the assets filed with it too, as ``assets.<i>.<field>``), keyed by
    field. Normalises IPC classes and territory in place."""
    errors: Errors = {}
    check_texts(data, errors)
    check_classes(data, errors)
    check_prices(data, errors)
    check_period(data, errors)
    check_seller(session, data.get("seller_id"), subcentre_id, errors, seller_cache)
    check_assets(data, errors)
    return errors
