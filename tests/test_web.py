"""The analysts' page in a real browser: headless Chromium driven by Selenium against `policydsl
serve` on loopback. Asserts what a user sees; saves a screenshot of a zone's sanction with its
clause to build/screenshots/analyst-page.png. `.ci/run` installs Debian's chromium and
chromium-driver when they are missing."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import ROOT
from tests.serving import PATIENCE, serve, stop_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOT = ROOT / "build" / "screenshots" / "analyst-page.png"

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log_db = tmp_path_factory.mktemp("web") / "decisions.db"
    try:
        process, base = serve(["policies/", "--data", "examples/province", "--log-db", str(log_db)])
    except RuntimeError as err:
        pytest.fail(str(err))
    yield base
    stop_server(process)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1600", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def wait(driver, condition, seconds: float = PATIENCE):
    """Poll until the condition holds, at most `seconds` (generous: the page waits for the server)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def visible_text(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id).text


def test_an_analyst_finds_a_zones_sanction_and_reads_its_clause_and_arithmetic(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    assert "决策浏览" in visible_text(browser, "controls") + browser.title  # Chinese by default
    assert [o.text for o in Select(browser.find_element(By.ID, "dataset")).options] == ["province"]
    Select(browser.find_element(By.ID, "period")).select_by_value("2016")
    Select(browser.find_element(By.ID, "kind")).select_by_visible_text("惩戒")
    browser.find_element(By.ID, "run").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.decision"))

    rows = browser.find_elements(By.CSS_SELECTOR, "tr.decision")
    assert rows and all("惩戒" in row.text for row in rows)
    assert visible_text(browser, "counts") == f"惩戒 {len(rows)}"
    assert f"显示 {len(rows)} / 共 {len(rows)} 条" in visible_text(browser, "shown")

    browser.find_element(By.ID, "filter-entity").send_keys("Z11")
    z11 = [r for r in browser.find_elements(By.CSS_SELECTOR, "tr.decision") if r.is_displayed()]
    assert z11 and len(z11) < len(rows) and all(r.text.startswith("Z11") for r in z11)
    target = browser.find_element(By.CSS_SELECTOR,
                                  'tr.decision[data-entity="Z11"][data-outcome="zone_head_replacement_ordered"]')
    assert "责令县委调整集聚区管理机构主要负责人" in target.text and "kaifeng2014.4.5.2.7.b" in target.text
    target.click()
    wait(browser, lambda d: d.find_element(By.ID, "detail").is_displayed()
         and "四(五)2(7)" in d.find_element(By.ID, "detail-body").text)

    detail = visible_text(browser, "detail-body")
    assert "条款: 四(五)2(7)" in detail
    assert "「排名较上年度后退20个位次及以上的产业集聚区" in detail  # the quoted sentence of the clause
    assert "惩戒 · 适用" in detail
    assert "0.4 × 117 + 0.6 × 31 = 65.4" in detail and "65.4 − 24.2 = 41.2" in detail
    # in Chinese: a fact by its label with its period, its identifier beside it; the condition in words
    assert "省综合考评绝对量指数位次 [2016] = 117 absolute_index_position" in detail
    assert "省综合位次较上年度后退 ≥ 调整主要负责人的后退位次" in detail and ">=" not in detail
    siblings = browser.find_elements(By.CSS_SELECTOR, "#siblings li a")
    assert siblings and any("未触发" in s.find_element(By.XPATH, "..").text for s in siblings)
    boxes = browser.find_elements(By.CSS_SELECTOR, "#picture svg g.box")
    assert len(boxes) >= 8
    assert browser.find_elements(By.CSS_SELECTOR, "#picture svg g.box.outcome")

    browser.execute_script("document.getElementById('detail').scrollIntoView()")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000


def test_a_sibling_opens_its_why_not_and_the_page_switches_to_english(server, browser):
    from selenium.webdriver.common.by import By

    if not browser.find_elements(By.CSS_SELECTOR, "#siblings li a"):
        pytest.skip("runs after the sanction test in the same browser")
    not_fired = next(a for a in browser.find_elements(By.CSS_SELECTOR, "#siblings li a")
                     if "未触发" in a.find_element(By.XPATH, "..").text)
    label = not_fired.text
    not_fired.click()
    wait(browser, lambda d: d.find_element(By.ID, "detail-title").text.startswith("为什么没有"))
    assert label in visible_text(browser, "detail-title")
    assert "不满足的条件" in visible_text(browser, "detail-body")

    browser.find_element(By.ID, "lang").click()
    wait(browser, lambda d: d.find_element(By.ID, "detail-title").text.startswith("why not"))
    header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#decisions thead th")]
    assert header[:3] == ["Entity", "Entity kind", "Period"]
    assert "what failed" in visible_text(browser, "detail-body")
    assert "Z11 eliminated_in_provincial_dynamic_management 2016" in visible_text(browser, "detail-body")  # ids
    assert visible_text(browser, "counts").startswith("sanction ")


def test_an_uploaded_file_is_evaluated_in_the_browser(server, browser, tmp_path):
    import json

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    rows = [{"id": "KF01", "period": year, "city": "开封市", "absolute_index_position": position,
             "development_index_position": position, "value_added": 10, "tax_revenue": 5,
             "fixed_asset_investment": 8, "eliminated_in_provincial_dynamic_management": False}
            for year, position in (("2015", 10), ("2016", 60))]
    upload = tmp_path / "zones.json"
    upload.write_text(json.dumps({"industrial_zone": rows}, ensure_ascii=False), encoding="utf-8")
    browser.get(server + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    browser.find_element(By.ID, "upload").send_keys(str(upload))
    wait(browser, lambda d: Select(d.find_element(By.ID, "dataset")).first_selected_option.text.endswith("zones.json"))
    assert [o.text for o in Select(browser.find_element(By.ID, "period")).options] == ["2016", "2015"]
    browser.find_element(By.ID, "run").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.decision") or "错误" in d.find_element(By.ID, "status").text)
    outcomes = {r.get_attribute("data-outcome") for r in browser.find_elements(By.CSS_SELECTOR, "tr.decision")}
    assert "zone_head_replacement_ordered" in outcomes  # 60 places down from 10: the sanction


def test_an_uploaded_csv_is_read_by_the_server_and_bad_rows_are_shown_located(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    lines = (ROOT / "examples" / "province" / "industrial_zone.csv").read_text(encoding="utf-8").splitlines()
    good = tmp_path / "good" / "industrial_zone.csv"
    good.parent.mkdir()
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    browser.get(server + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    browser.find_element(By.ID, "upload").send_keys(str(good))
    wait(browser, lambda d: Select(d.find_element(By.ID, "dataset")).first_selected_option.text.endswith(
        "industrial_zone.csv") or "错误" in d.find_element(By.ID, "status").text
        or "无法读取" in d.find_element(By.ID, "status").text)
    assert visible_text(browser, "status") == ""
    Select(browser.find_element(By.ID, "period")).select_by_visible_text("2016")
    browser.find_element(By.ID, "run").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.decision") or "错误" in d.find_element(By.ID, "status").text)
    found = {(r.text.split()[0], r.get_attribute("data-outcome")) for r in browser.find_elements(By.CSS_SELECTOR, "tr.decision")}
    assert ("Z11", "zone_head_replacement_ordered") in found  # as the README's explain of the same data

    # one cell written with a thousands separator: the loader's own located message, on the page
    header = lines[0].split(",")
    column = header.index("absolute_index_position")
    row = next(n for n, line in enumerate(lines) if line.startswith("Z11,2016,"))
    cells = lines[row].split(",")
    cells[column] = "1 17"
    bad = tmp_path / "bad" / "industrial_zone.csv"
    bad.parent.mkdir()
    bad.write_text("\n".join(lines[:row] + [",".join(cells)] + lines[row + 1:]) + "\n", encoding="utf-8")
    browser.find_element(By.ID, "upload").send_keys(str(bad))
    located = f"industrial_zone.csv: row {row + 1}, column absolute_index_position"
    wait(browser, lambda d: located in d.find_element(By.ID, "status").text)
    assert "error" in browser.find_element(By.ID, "status").get_attribute("class")


def test_an_uploaded_data_folder_is_read_as_the_cli_reads_it(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
    browser.find_element(By.ID, "upload-folder").send_keys(str(ROOT / "examples" / "province"))
    wait(browser, lambda d: Select(d.find_element(By.ID, "dataset")).first_selected_option.text.endswith("province/")
         or "无法读取" in d.find_element(By.ID, "status").text)
    assert visible_text(browser, "status") == ""
    Select(browser.find_element(By.ID, "period")).select_by_visible_text("2016")
    browser.find_element(By.ID, "run").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.decision") or "错误" in d.find_element(By.ID, "status").text)
    kinds = {r.find_elements(By.TAG_NAME, "td")[1].text for r in browser.find_elements(By.CSS_SELECTOR, "tr.decision")}
    assert len(kinds) > 2  # the decisions of several kinds: every table of the folder was read
