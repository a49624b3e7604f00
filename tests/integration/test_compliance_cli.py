"""``flask compliance load-list | rescreen | load-catalogue`` against a database of their own."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from compliance.export_control.models import Catalogue
from compliance.screening.models import ListVersion
from tests.support.compliance import DEMO_CATALOGUE, WATCH_V1, WATCH_V2, make_org

OFAC_SDN = (b'"36","AEROCARIBBEAN AIRLINES",-0-,"CUBA",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n'
            b'"173","ANGLO-CARIBBEAN CO., LTD.",-0-,"CUBA",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\r\n')
OFAC_ALT = b'"36","12","aka","AERO-CARIBBEAN",-0-\r\n'


@pytest.fixture
def cli_app(fresh_db_url: str, clock):
    from gateway.app import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "DATABASE_URL": fresh_db_url}, clock=clock)
    yield app
    app.extensions["gateway.db"].engine.dispose()


def _statuses(app) -> list[str]:
    with app.extensions["gateway.db"].session() as s:
        return list(s.execute(select(ListVersion.status).order_by(ListVersion.id)).scalars())


def test_load_list_keeps_the_last_good_version_when_a_file_is_malformed(cli_app, tmp_path: Path) -> None:
    runner = cli_app.test_cli_runner()
    v1, bad = tmp_path / "uel-v1.csv", tmp_path / "uel-bad.csv"
    v1.write_text(WATCH_V1, encoding="utf-8")
    bad.write_text(WATCH_V2 + '"UEL-5,broken\n', encoding="utf-8")
    ok = runner.invoke(args=["compliance", "load-list", "--format", "csv", "--name", "CN-UEL", str(v1)])
    assert ok.exit_code == 0, ok.output
    assert "activated, 3 entries" in ok.output
    failed = runner.invoke(args=["compliance", "load-list", "--format", "csv", "--name", "CN-UEL", str(bad)])
    assert failed.exit_code == 1
    assert "line 6" in failed.output and "stays in force" in failed.output
    assert _statuses(cli_app) == ["active", "failed"]

    with cli_app.extensions["gateway.db"].transaction() as s:
        make_org(s, "华为技术有限公司", "Huawei Technologies Co., Ltd.")
        make_org(s, "Delft Water Technologies B.V.", country="NL")
    first = runner.invoke(args=["compliance", "rescreen"])
    assert first.exit_code == 0, first.output
    assert "2/2 parties" in first.output and "1 new case(s)" in first.output
    second = runner.invoke(args=["compliance", "rescreen"])
    assert "2 unchanged" in second.output and "0 new case(s)" in second.output

    # a new version re-screens everyone as it loads: the party matching the new entry gets a case
    with cli_app.extensions["gateway.db"].transaction() as s:
        make_org(s, "Kestrel Photonics Lab Inc.", country="US")
    v2 = tmp_path / "uel-v2.csv"
    v2.write_text(WATCH_V2, encoding="utf-8")
    loaded = runner.invoke(args=["compliance", "load-list", "--format", "csv", "--name", "CN-UEL", str(v2)])
    assert loaded.exit_code == 0, loaded.output
    assert "compliance rescreen: 3 parties" in loaded.output and "1 new case(s)" in loaded.output
    again = runner.invoke(args=["compliance", "load-list", "--format", "csv", "--name", "CN-UEL",
                                "--no-rescreen", str(v1)])
    assert "reactivated" in again.output and "run `flask --app wsgi compliance rescreen`" in again.output


def test_load_list_reads_the_ofac_file_set(cli_app, tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_bytes(OFAC_SDN)
    (tmp_path / "alt.csv").write_bytes(OFAC_ALT)
    result = cli_app.test_cli_runner().invoke(args=["compliance", "load-list", "--format", "ofac", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "OFAC-SDN: version" in result.output and "2 entries" in result.output


def test_load_catalogue_loads_the_demo_subset(cli_app, tmp_path: Path) -> None:
    runner = cli_app.test_cli_runner()
    result = runner.invoke(args=["compliance", "load-catalogue", "--direction", "export", str(DEMO_CATALOGUE)])
    assert result.exit_code == 0, result.output
    assert "demo-subset-2025 loaded" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("code,control_level,title_zh,title_en\n12345X,restricted,a,b\n", encoding="utf-8")
    refused = runner.invoke(args=["compliance", "load-catalogue", "--direction", "export", str(bad)])
    assert refused.exit_code == 1 and "line 2" in refused.output
    with cli_app.extensions["gateway.db"].session() as s:
        assert s.execute(select(Catalogue.status)).scalars().all() == ["active"]
