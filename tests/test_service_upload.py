"""Uploads to the service (`POST /v1/upload`, the analysts' page): CSV, xlsx, a zip of tables or a JSON
file, read by the loader of `--data`, refused with its located messages (422) or as a malformed
upload (400), then evaluated and explained by name like a data set loaded with --data."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from tests.test_service import SANCTIONS, sanctions_service, small_facts  # noqa: F401 - a fixture

COLUMNS = ("id", "period", "city", "absolute_index_position", "development_index_position", "value_added",
           "tax_revenue", "fixed_asset_investment", "eliminated_in_provincial_dynamic_management")


def zones_csv(rows: list[dict] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows if rows is not None else small_facts()["industrial_zone"])
    return out.getvalue().encode("utf-8")


def zones_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in small_facts()["industrial_zone"]:
        sheet.append([row[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, *files: tuple[str, bytes]):
    return client.post("/v1/upload", files=[("file", (name, content)) for name, content in files])


def expected_decisions(client) -> list[dict]:
    return client.post("/v1/evaluate", json={"facts": small_facts()}).json()["decisions"]


@pytest.mark.parametrize("name,content", [("industrial_zone.csv", zones_csv()), ("industrial_zone.xlsx", zones_xlsx())],
                         ids=["csv", "xlsx"])
def test_an_uploaded_table_is_evaluated_like_the_same_facts_sent_as_json(sanctions_service, name, content):
    answer = upload(sanctions_service, (name, content))
    assert answer.status_code == 201, answer.text
    payload = answer.json()
    assert payload["dataset"].startswith("upload-") and payload["periods"] == ["2015", "2016"]
    assert payload["kinds"] == {"industrial_zone": 2} and payload["files"] == [name]
    decisions = sanctions_service.post("/v1/evaluate", json={"dataset": payload["dataset"]}).json()["decisions"]
    assert decisions == expected_decisions(sanctions_service) and decisions
    why = sanctions_service.post("/v1/explain", json={"dataset": payload["dataset"], "entity": "KF01",
                                                      "outcome": "zone_head_replacement_ordered", "period": "2016"})
    assert why.status_code == 200 and why.json()["explanation"]["status"] == "active"


def test_a_zip_of_tables_and_a_json_file_are_read_as_the_cli_reads_a_folder_and_a_file(sanctions_service):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("province/industrial_zone.csv", zones_csv())
        archive.writestr("__MACOSX/province/._industrial_zone.csv", b"\0\0")
    zipped = upload(sanctions_service, ("province.zip", packed.getvalue()))
    assert zipped.status_code == 201, zipped.text
    import json

    as_json = upload(sanctions_service, ("facts.json", json.dumps(small_facts()).encode()))
    assert as_json.status_code == 201, as_json.text
    one_kind = upload(sanctions_service, ("industrial_zone.json", json.dumps(small_facts()["industrial_zone"]).encode()))
    assert one_kind.status_code == 201, one_kind.text
    for payload in (zipped.json(), as_json.json(), one_kind.json()):
        decisions = sanctions_service.post("/v1/evaluate", json={"dataset": payload["dataset"]}).json()["decisions"]
        assert decisions == expected_decisions(sanctions_service)


def test_bad_data_in_an_upload_is_a_422_with_the_loaders_located_messages(sanctions_service):
    rows = small_facts()["industrial_zone"]
    rows[1] = {**rows[1], "absolute_index_position": "1,5"}
    answer = upload(sanctions_service, ("industrial_zone.csv", zones_csv(rows)))
    assert answer.status_code == 422
    payload = answer.json()
    assert payload["error"] == "bad data"
    assert any(p.startswith("industrial_zone.csv: row 3, column absolute_index_position") for p in payload["problems"])
    assert not any("policydsl-upload-" in p for p in payload["problems"])  # no temporary folder in the message
    assert payload["issues"][0]["file"] == "industrial_zone.csv" and payload["issues"][0]["row"] == 3


def test_a_table_named_for_no_kind_is_reported_as_the_cli_reports_it(sanctions_service):
    answer = upload(sanctions_service, ("industrial_zones.csv", zones_csv()))
    assert answer.status_code == 422
    payload = answer.json()
    [problem] = payload["problems"]
    assert problem.startswith("the upload: no table for any declared entity kind (expected files like ")
    [warning] = payload["warnings"]
    assert warning["file"] == "industrial_zones.csv" and "industrial_zone.csv" in warning["hint"]  # did you mean


def damaged_zip() -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("industrial_zone.csv", zones_csv() * 20)
    data = bytearray(packed.getvalue())
    data[60] ^= 0xFF  # a byte of the compressed member: its check fails when it is read
    return bytes(data)


def climbing_zip() -> bytes:
    """A zip with a member `../../evil/industrial_zone.csv`: its table was skipped without a word."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("../../evil/industrial_zone.csv", zones_csv())
        archive.writestr("a/b/city.csv", "id\n开封市\n")
    return packed.getvalue()


@pytest.mark.parametrize("files,message", [
    ((), "no file was uploaded"),
    ((("a.zip", b"not a zip"),), "not a zip archive"),
    ((("a.zip", damaged_zip()),), "cannot be unpacked"),
    ((("industrial_zone.csv", b"x"), ("sub/industrial_zone.csv", b"y")), "two files are named"),
    ((("a.zip", climbing_zip()),), "reaches outside the archive"),
    ((("a" * 300 + ".csv", b"x"),), "a NUL, or over 255 bytes"),
], ids=["nothing", "bad-zip", "damaged-zip", "same-name", "zip-with-dotdot", "long-name"])
def test_an_upload_the_loader_cannot_be_given_is_a_400(sanctions_service, files, message):
    answer = upload(sanctions_service, *files) if files else sanctions_service.post(
        "/v1/upload", files={"other": ("x.txt", b"")})
    assert answer.status_code == 400 and message in answer.json()["error"]


def test_one_file_may_be_sent_as_the_body_named_by_a_query(sanctions_service):
    answer = sanctions_service.post("/v1/upload?filename=industrial_zone.csv", content=zones_csv())
    assert answer.status_code == 201, answer.text
    assert sanctions_service.post("/v1/upload", content=zones_csv()).status_code == 400


def test_an_unknown_upload_name_is_a_422(sanctions_service):
    answer = sanctions_service.post("/v1/evaluate", json={"dataset": "upload-000000000000"})
    assert answer.status_code == 422 and "no data set" in answer.json()["error"]


def test_the_openapi_document_describes_the_upload(sanctions_service):
    document = sanctions_service.get("/openapi.json").json()
    assert "multipart/form-data" in document["paths"]["/v1/upload"]["post"]["requestBody"]["content"]


@pytest.mark.parametrize("name", ["enter%00prise.csv", "a" * 300 + ".csv"])
def test_a_file_name_no_file_system_takes_is_a_400_not_a_500(sanctions_service, name):
    answer = sanctions_service.post(f"/v1/upload?filename={name}", content=b"id\nZ1\n")
    assert answer.status_code == 400 and "a NUL, or over 255 bytes" in answer.json()["error"]
