"""Every message of the pages has its Chinese translation (none empty, none fuzzy), and the
placeholders of each translation are the English ones."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[3] / "gateway" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def test_the_chinese_catalogue_translates_every_message_with_the_same_placeholders() -> None:
    with PO.open("rb") as f:
        catalogue = read_po(f)
    untranslated, fuzzy, placeholders = [], [], []
    for message in catalogue:
        if not message.id:
            continue
        if not message.string:
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
        names = lambda text: sorted(re.findall(r"%\((\w+)\)s", text))
        if message.string and names(message.id) != names(message.string):
            placeholders.append(message.id)
    assert not untranslated and not fuzzy and not placeholders, (untranslated, fuzzy, placeholders)
