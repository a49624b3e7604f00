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
        # a plural message has a tuple of forms (Chinese has one); every form must be filled
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
        names = lambda text: sorted(set(re.findall(r"%\((\w+)\)", text)))
        if all(forms) and any(names(form) != names(ids[-1]) for form in forms):
            placeholders.append(message.id)
    assert not untranslated and not fuzzy and not placeholders, (untranslated, fuzzy, placeholders)
