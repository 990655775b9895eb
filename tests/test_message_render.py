"""Rendering a digest: Vietnamese text and HTML, dates, lateness, cc reasons, headers."""

from __future__ import annotations

import datetime as dt
import json
import re
from email import message_from_bytes
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest

from engine.core.digest import Digest, DigestItem, Party, PlanInfo
from engine.mail.render import (
    InvalidAddressError,
    check_address,
    lateness_vi,
    render_digest,
    to_mime,
)
from tests.test_api_support import Api, live_server, sqlite_api
from tests.test_api_support import iid as api_iid

__all__ = ["live_server", "sqlite_api"]

D = dt.date
PLAN = PlanInfo("hn-2024-cchc", "84/KH-UBND", "Cải cách hành chính nhà nước năm 2024",
                Party("so-noi-vu", "Sở Nội vụ", ("so-noi-vu@hanoi.example.org",)))


def item(level: str, offset: int, days_late: int, **extra: object) -> DigestItem:
    values: dict[str, object] = dict(
        instance_id="hn-2024-cchc:bao-cao-quy:so-y-te:2024-Q1", plan=PLAN.id, task="bao-cao-quy",
        task_title="Báo cáo kết quả thực hiện CCHC quý I", agency="so-y-te",
        agency_name="Sở Y tế", period="2024-Q1", printed_due=D(2024, 3, 31),
        due_date=D(2024, 4, 1), level=level, level_label={"urge": "Đôn đốc",
                                                          "reminder": "Nhắc việc"}[level],
        level_offset=offset, days_late=days_late)
    values.update(extra)
    return DigestItem(**values)  # type: ignore[arg-type]


DIGEST = Digest(
    recipient=Party("so-y-te", "Sở Y tế", ("so-y-te@hanoi.example.org",)), as_of=D(2024, 4, 8),
    plans=(PLAN,), items=(item("reminder", -5, -3, task="khac", instance_id="x:khac",
                               printed_due=D(2024, 4, 11), due_date=D(2024, 4, 11)),
                          item("urge", 5, 5)),
    cc=(Party("so-noi-vu", "Sở Nội vụ", ("so-noi-vu@hanoi.example.org",),
              "đơn vị theo dõi, đôn đốc thực hiện kế hoạch (Đôn đốc)"),))


def test_the_digest_renders_in_vietnamese_with_both_dates_and_lateness() -> None:
    mail = render_digest(DIGEST, message_id="<sweep9.so-y-te@example.org>",
                         public_url="https://kehoach.example.org/")
    assert mail.subject == ("[Đôn đốc, Nhắc việc] Sở Y tế: 2 nhiệm vụ — Kế hoạch số 84/KH-UBND "
                            "«Cải cách hành chính nhà nước năm 2024»")
    text = mail.text
    assert text.index("== ĐÔN ĐỐC") < text.index("== NHẮC VIỆC")
    for expected in ("Thời hạn ghi trong kế hoạch: 31/03/2024; hạn thực tế: 01/04/2024 (lùi",
                     "quá hạn 5 ngày làm việc", "còn 3 ngày làm việc đến hạn",
                     "Đồng gửi (cc):", "đơn vị theo dõi, đôn đốc thực hiện kế hoạch (Đôn đốc)",
                     "https://kehoach.example.org/api/v1/instances/"
                     "hn-2024-cchc:bao-cao-quy:so-y-te:2024-Q1/complete",
                     "Sở Nội vụ, so-noi-vu@hanoi.example.org"):
        assert expected in text, expected
    assert mail.html and "<td>31/03/2024</td>" in mail.html
    assert mail.cc == ("Sở Nội vụ <so-noi-vu@hanoi.example.org>",)


WEBHOOK_TXT = "DÀNH CHO HỆ THỐNG PHẦN MỀM CỦA ĐƠN VỊ"
WEBHOOK_HTML = "Dành cho hệ thống phần mềm của đơn vị"


def test_the_digest_names_periods_and_tasks_as_people_write_them() -> None:
    """Periods read "Quý I năm 2024", tasks by their text; the codes ("2024-Q1", the task's
    code, the instance's) appear only in the part meant for the agency's own software."""
    mail = render_digest(DIGEST, message_id="<sweep9.so-y-te@example.org>",
                         public_url="https://kehoach.example.org/")
    assert mail.html
    for human, machine in (mail.text.split(WEBHOOK_TXT), mail.html.split(WEBHOOK_HTML)):
        assert "Quý I năm 2024" in human and "Báo cáo kết quả thực hiện CCHC quý I" in human
        for code in ("2024-Q1", "bao-cao-quy", "x:khac", "Mã nhiệm vụ"):
            assert code not in human, code
        assert "hn-2024-cchc:bao-cao-quy:so-y-te:2024-Q1" in machine and "x:khac" in machine
    assert "- Kỳ: Quý I năm 2024" in mail.text


def test_html_escapes_what_it_quotes() -> None:
    tricky = Digest(DIGEST.recipient, DIGEST.as_of, DIGEST.plans,
                    (item("urge", 5, 5, task_title="<script>alert(1)</script> & co"),))
    html = render_digest(tricky, message_id="<a@example.org>", public_url="http://x").html
    assert html and "<script>" not in html and "&lt;script&gt;" in html


def test_mime_headers_round_trip_with_diacritics() -> None:
    mail = render_digest(DIGEST, message_id="<sweep9.so-y-te@example.org>",
                         public_url="http://127.0.0.1:8000")
    wire = to_mime(mail, sender="kehoach@example.org").as_bytes()
    assert all(ord(" ") <= b < 128 or b in b"\r\n" for b in wire.split(b"\n\n")[0])
    parsed = message_from_bytes(wire, policy=default_policy)
    assert str(parsed["Subject"]) == mail.subject
    assert parsed["To"].addresses[0].display_name == "Sở Y tế"
    assert parsed.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize(("days_late", "as_of", "said"), [
    (3, D(2024, 4, 4), "quá hạn 3 ngày làm việc"),
    (0, D(2024, 4, 1), "đến hạn hôm nay"),
    (0, D(2024, 4, 6), "đã quá hạn (chưa tròn 1 ngày làm việc)"),
    (-5, D(2024, 3, 25), "còn 5 ngày làm việc đến hạn"),
], ids=["three working days late", "due today", "late over a weekend", "five days to go"])
def test_lateness_wording(days_late: int, as_of: dt.date, said: str) -> None:
    assert lateness_vi(item("urge", 5, days_late), as_of) == said


def test_the_digest_survives_its_json_payload() -> None:
    assert Digest.from_json(DIGEST.to_json()) == DIGEST


@pytest.mark.parametrize("address", ["not an address", "@example.org", "so-y-te@localhost"],
                         ids=["words", "no user", "no domain dot"])
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidAddressError):
        check_address(address)


def test_the_example_request_in_a_mail_works_as_written_the_same_morning(
        sqlite_api: Api) -> None:
    # A daily sweep mails at 08:00; an agency copying the example at once must not be told
    # that its completion time lies in the future. The mail is dated as if read up to 8
    # hours after its sweep, so that at any hour of the test its date is today or tomorrow
    # (an example naming 16:00 of that day would be refused).
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).astimezone(
        ZoneInfo("Asia/Ho_Chi_Minh")).date()
    instance = api_iid("ban-hanh-ke-hoach", "so-y-te")
    digest = Digest(DIGEST.recipient, today, DIGEST.plans,
                    (item("urge", 5, 5, instance_id=instance),))
    text = render_digest(digest, message_id="<sweep1.so-y-te@example.org>",
                         public_url=sqlite_api.url).text
    url = re.search(r'curl -X POST "([^"]+)"', text)
    body = re.search(r"-d '([^']+)'", text)
    assert url and body
    answer = sqlite_api.post(url.group(1).removeprefix(sqlite_api.url),
                             json.loads(body.group(1)))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] in ("done_on_time", "done_late")
