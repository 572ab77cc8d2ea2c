"""The programme drill-downs over a small pulled demo city: per-department history written by the
pulls and back-filled by the demo, the pages' default views, and the downloads (permission,
Chinese headers, the selection's rows)."""
import csv
import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard import department_history, runtime
from tests.demo_app import demo_test_client


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return demo_test_client(tmp_path_factory.mktemp("programmes"), anonymous_role="viewer")


def test_pulls_write_each_departments_values_over_the_back_filled_history(client):
    rt = runtime.current()
    history = rt.store.frame("department_history", "history")
    today = pd.Timestamp(date.today())
    by_dept = rt.store.frame("catalog", "by_dept")
    todays = history[history["date"] == today].set_index(["dept_id", "indicator_id"])["value"]
    expected = department_history.department_values("catalog", {"by_dept": by_dept})
    for row in expected.itertuples():  # today's row is the pull's, equal to the wall's pooled ratio
        assert todays[(row.dept_id, row.indicator_id)] == pytest.approx(row.value)
    days = history.groupby(["dept_id", "indicator_id"])["date"].nunique()
    assert days.min() >= 180  # the demo's back-fill: 较上期 works from the first start
    assert set(history["indicator_id"]) == {"sharing_rate", "aggregation_rate", "cloud_migration_rate"}
    assert len(department_history.load(rt.engine)) == len(history)


def test_every_page_answers_its_default_view(client):
    from layouts import programme_pages

    for spec in programme_pages.PAGES:
        page = spec.layout()  # no path variable, no query: the page's default view, without a notice
        header, title, notices = page.children[:3]
        assert page.className == "cw-page cw-drill-page" and title.children and notices is None, spec.module


def test_downloads_need_the_permission(client):
    answer = client.get("/drill-download/scoreboard.csv")  # an anonymous viewer: the wall only
    assert answer.status_code == 401 and "需要登录后才能下载表格" in answer.get_data(as_text=True)


def test_a_download_has_chinese_headers_and_the_selections_rows(client, leader_caller):
    rt = runtime.current()
    systems = rt.store.frame("systems", "systems")
    overdue = int(systems["overdue"].sum())
    answer = client.get("/drill-download/cloud_systems.csv?status=overdue")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["系统编号", "系统名称", "部门", "上云状态", "计划上云", "实际上云", "逾期未上云"]
    assert len(rows) - 1 == overdue and {r[6] for r in rows[1:]} == {"是"}
    names = dict(zip(rt.store.frame("departments", "departments")["dept_id"],
                     rt.store.frame("departments", "departments")["name"]))
    assert rows[1][2] == names[systems[systems["overdue"]].iloc[0]["dept_id"]]
    book = load_workbook(io.BytesIO(client.get("/drill-download/scoreboard.xlsx").data), read_only=True)
    sheet = list(book.active.values)
    assert sheet[0][:4] == ("排名", "部门", "得分", "较上期") and len(sheet) - 1 == len(rt.store.frame("departments",
                                                                                                    "departments"))
    assert client.get("/drill-download/nothing.csv").status_code == 404


def test_a_page_is_built_once_per_version_of_the_datasets_it_reads(client):
    from callbacks import drill_warm
    from layouts import programme_pages

    rt = runtime.current()
    first = programme_pages.scoreboard_layout()
    assert programme_pages.scoreboard_layout() is first  # the same view model and components for every visit
    assert programme_pages.scoreboard_layout(sort="score:asc") is not first  # another query, another page
    exchange = programme_pages.exchange()
    snap = rt.store.snapshot("catalog")
    rt.store.publish("catalog", snap.frames, snap.meta)  # a new version of a dataset the scoreboard reads
    again = programme_pages.scoreboard_layout()
    assert again is not first and programme_pages.scoreboard_layout() is again
    assert programme_pages.exchange() is exchange  # /exchange reads no catalog frame
    drill_warm.warm(rt.store)  # the warmer builds the default pages of the new versions ahead of a visit
    assert drill_warm.warmed("catalog") == rt.store.status("catalog").version
    assert drill_warm.warmed("incidents") == rt.store.status("incidents").version
