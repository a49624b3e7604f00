"""Loaders of the OFAC SDN, UN consolidated and generic CSV list formats."""
from __future__ import annotations

import hashlib

import pytest

from compliance.screening import (ListFormatError, file_set_version, load_generic_csv,
                                  load_ofac_sdn_dir, load_un_consolidated, parse_generic_csv,
                                  parse_ofac_sdn, parse_un_consolidated)

SDN = (
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"Registration ID 123 (Cuba)."\r\n'
    '2674,"KIM, Jong Un","individual","DPRK3] [DPRK2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    '"DOB 08 Jan 1984; alt. DOB 1983; nationality Korea, North; Passport 563410081 '
    '(Korea, North); Gender Male."\r\n'
    '9001,"SEA STAR","vessel","IRAN",-0- ,"9HA1","Crude Oil Tanker",-0- ,-0- ,"Panama",-0- ,'
    '"Vessel Registration Identification IMO 9187629."\r\n'
    '\x1a\r\n'
)
ALT = ('36,12,"aka","AERO-CARIBBEAN",-0- \r\n'
       '2674,220,"aka","KIM, Jong-un",-0- \r\n'
       '2674,221,"fka","KIM, Jung Eun","low quality"\r\n')
ADD = ('36,25,-0- ,"Havana","Cuba",-0- \r\n'
       '2674,30,-0- ,"Pyongyang","Korea, North",-0- \r\n')
COMMENTS = '2674,"Additional Sanctions Information - Subject to Secondary Sanctions."\r\n'


def test_ofac_file_set_loads_entries_aliases_countries_and_remarks(tmp_path):
    for name, text in (("sdn.csv", SDN), ("alt.csv", ALT), ("add.csv", ADD),
                       ("sdn_comments.csv", COMMENTS)):
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    snap = load_ofac_sdn_dir(tmp_path)
    by_id = {e.entry_id: e for e in snap.entries}
    assert set(by_id) == {"36", "2674", "9001"}
    airline, kim, ship = by_id["36"], by_id["2674"], by_id["9001"]
    assert airline.entity_type == "entity" and airline.countries == ("CU",)
    assert [a.name for a in airline.aliases] == ["AERO-CARIBBEAN"]
    assert airline.identifiers[0].number == "123"
    assert kim.entity_type == "individual" and kim.programs == ("DPRK3", "DPRK2")
    assert kim.countries == ("KP",)
    assert [(d.year_from, d.month, d.day) for d in kim.dates_of_birth] == [(1984, 1, 8), (1983, None, None)]
    assert kim.identifiers[0].number == "563410081" and kim.identifiers[0].country == "KP"
    assert [(a.name, a.quality) for a in kim.aliases] == [("KIM, Jong-un", "aka"), ("KIM, Jung Eun", "fka")]
    assert "Secondary Sanctions" in kim.remarks
    assert ship.entity_type == "vessel" and "PA" in ship.countries
    assert ship.identifiers[0].number == "9187629"
    assert snap.source_files == ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")


def test_version_id_is_sha256_of_the_file_set_and_order_free():
    one = parse_ofac_sdn(SDN.encode())
    assert one.version_id == hashlib.sha256(SDN.encode()).hexdigest()
    both = parse_ofac_sdn(SDN.encode(), ALT.encode())
    assert both.version_id == file_set_version([("alt.csv", ALT.encode()), ("sdn.csv", SDN.encode())])
    changed = parse_ofac_sdn(SDN.encode(), ALT.encode().replace(b"AERO", b"AIRO"))
    assert changed.version_id != both.version_id


@pytest.mark.parametrize("sdn, alt, where", [
    (SDN.replace('"SEA STAR","vessel"', '"SEA STAR"'), None, "sdn.csv: line 3"),
    (SDN.replace("2674,", "x2674,", 1), None, "sdn.csv: line 2"),
    (SDN.replace('"KIM, Jong Un","individual"', '"KIM, Jong Un","person"'), None, "sdn.csv: line 2"),
    (SDN, '36,12,"aka","AERO\r\n', "alt.csv: line"),
    (SDN, '77,12,"aka","NOBODY",-0- \r\n', "alt.csv: line 1"),
    (SDN + SDN, None, "sdn.csv: line 5"),
])
def test_malformed_ofac_files_load_nothing_and_name_the_line(sdn, alt, where):
    with pytest.raises(ListFormatError) as err:
        parse_ofac_sdn(sdn.encode(), alt.encode() if alt else None)
    assert where in err.value.detail
    assert err.value.code == "screening_list_malformed"


UN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2024-05-01T00:00:00Z">
 <INDIVIDUALS>
  <INDIVIDUAL>
   <DATAID>6908555</DATAID><VERSIONNUM>1</VERSIONNUM>
   <FIRST_NAME>RI</FIRST_NAME><SECOND_NAME>WON HO</SECOND_NAME>
   <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.042</REFERENCE_NUMBER>
   <LISTED_ON>2016-11-30</LISTED_ON><NAME_ORIGINAL_SCRIPT>리원호</NAME_ORIGINAL_SCRIPT>
   <COMMENTS1>Ministry of State Security official.</COMMENTS1>
   <NATIONALITY><VALUE>Democratic People's Republic of Korea</VALUE></NATIONALITY>
   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Ri Won-ho</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME></ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ADDRESS><COUNTRY>China</COUNTRY></INDIVIDUAL_ADDRESS>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1964-07-17</DATE></INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1965</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1960</FROM_YEAR><TO_YEAR>1962</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>836210029</NUMBER><ISSUING_COUNTRY>Democratic People's Republic of Korea</ISSUING_COUNTRY></INDIVIDUAL_DOCUMENT>
  </INDIVIDUAL>
 </INDIVIDUALS>
 <ENTITIES>
  <ENTITY>
   <DATAID>110428</DATAID><FIRST_NAME>KOREA MINING DEVELOPMENT TRADING CORPORATION</FIRST_NAME>
   <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.001</REFERENCE_NUMBER>
   <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>KOMID</ALIAS_NAME></ENTITY_ALIAS>
   <ENTITY_ADDRESS><CITY>Pyongyang</CITY><COUNTRY>DPRK</COUNTRY></ENTITY_ADDRESS>
  </ENTITY>
 </ENTITIES>
</CONSOLIDATED_LIST>
"""


def test_un_consolidated_list_loads_individuals_and_entities(tmp_path):
    path = tmp_path / "consolidated.xml"
    path.write_text(UN_XML, encoding="utf-8")
    snap = load_un_consolidated(path)
    ri, komid = snap.entries
    assert (ri.entry_id, ri.entity_type, ri.primary_name) == ("KPi.042", "individual", "RI WON HO")
    assert ri.original_script_name == "리원호" and ri.programs == ("DPRK",)
    assert ri.countries == ("KP", "CN")
    assert [(a.name, a.quality) for a in ri.aliases] == [("Ri Won-ho", "good")]
    assert [(d.year_from, d.year_to, d.approximate) for d in ri.dates_of_birth] == [
        (1964, 1964, False), (1965, 1965, True), (1960, 1962, False)]
    assert ri.identifiers[0].number == "836210029" and ri.identifiers[0].country == "KP"
    assert komid.entity_type == "entity" and komid.aliases[0].name == "KOMID"
    assert snap.version_id == hashlib.sha256(UN_XML.encode()).hexdigest()


@pytest.mark.parametrize("xml, where", [
    (UN_XML.replace("</INDIVIDUALS>", "</INDIVIDUAL>", 1), "line 19, column 3"),
    (UN_XML.replace("<DATAID>110428</DATAID>", ""), "ENTITY #1"),
    (UN_XML.replace("<FROM_YEAR>1960</FROM_YEAR>", ""), "INDIVIDUAL #1 (DATAID 6908555)"),
    (UN_XML.replace("<DATE>1964-07-17</DATE>", "<DATE>17th of July</DATE>"), "DATAID 6908555"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>',
     "document"),
    ("<OTHER_LIST/>", "root element"),
])
def test_malformed_un_xml_loads_nothing_and_names_the_element(xml, where):
    with pytest.raises(ListFormatError) as err:
        parse_un_consolidated(xml.encode())
    assert where in err.value.detail


GENERIC = (
    "id,name,aliases,entity_type,country,date,identifiers,programs,remarks,original_script_name\n"
    'UEL-1,Acme Drone Co. Ltd.,Acme UAV|ACME Drones,entity,CN|Hong Kong,2001,'
    'USCC:91440300MA5F|DUNS:123456789:US,Unreliable entity list,"added 2023, drones",'
    "艾克米无人机有限公司\n"
    'W-2,"PETROV, Ivan",,individual,RU,circa 1970|1968-03-02,,,,\n'
)


def test_generic_csv_loads_documented_columns(tmp_path):
    path = tmp_path / "watch.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GENERIC.encode())
    snap = load_generic_csv(path, list_name="INTERNAL")
    acme, petrov = snap.entries
    assert acme.list_name == "INTERNAL" and [a.name for a in acme.aliases] == ["Acme UAV", "ACME Drones"]
    assert acme.countries == ("CN", "HK") and acme.original_script_name == "艾克米无人机有限公司"
    assert [(i.type, i.number, i.country) for i in acme.identifiers] == [
        ("USCC", "91440300MA5F", None), ("DUNS", "123456789", "US")]
    assert acme.remarks == "added 2023, drones"
    assert petrov.entity_type == "individual" and petrov.dates_of_birth[0].approximate
    assert petrov.dates_of_birth[1].day == 2


@pytest.mark.parametrize("text, where", [
    ("id,name,colour\n1,A,red\n", "line 1"),
    ("name\nA\n", "line 1"),
    ("id,name,date\n1,A,1990\n2,B,someday\n", "line 3"),
    ("id,name\n1,A\n1,B\n", "line 3"),
    ("id,name,entity_type\n1,A,company\n", "line 2"),
    ("id,name,identifiers\n1,A,just-a-number\n", "line 2"),
    ("id,name\n1,A,extra\n", "line 2"),
    ('id,name\n1,"A\n', "line"),
])
def test_malformed_generic_csv_names_the_line(text, where):
    with pytest.raises(ListFormatError) as err:
        parse_generic_csv(text.encode(), list_name="X", file="x.csv")
    assert f"x.csv: {where}" in err.value.detail
