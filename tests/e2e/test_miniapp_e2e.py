"""End to end: the map (Telegram Mini App) in a real headless Chromium (Debian's, driven by Playwright pointed at
/usr/bin/chromium: nothing is downloaded), served by the real process on its WEB_PORT. Signed initData shows the open
reports as markers and list rows; forged, expired or missing initData gets 401; a leader never sees the caller."""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.domain.ruleset import Rules
from bot.domain.webapp_auth import sign
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess, free_port

from .conftest import bind_all_groups, register
from .steps import file_fire, press, webhook_env

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
STATIC = Path(__file__).resolve().parents[2] / "bot" / "web" / "static"
GUIDE_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "peta.png"
MEDIS = """/lapor
kategori: medis
kecamatan: Nusaniwe
kelurahan: Benteng
alamat: Jl. Dr. Latumeten, depan SD
pelapor: Pak Yosef
telepon: 0813 5555 1234
keterangan: Orang tua pingsan <img src=x onerror="document.title='XSS'"> di jalan"""
CALLER_WORDS = ("Ibu Maria", "Pak Yosef", "3456", "7890", "5555", "1234")


def init_data(fake: FakeTelegram, user_id: int, age: float = 0.0, token: str | None = None) -> str:
    user = json.dumps({"id": user_id, "first_name": world.NAMES[user_id]}, separators=(",", ":"))
    return sign({"query_id": "AAE1", "user": user, "auth_date": str(int(time.time() - age))}, token or fake.token)


def api(base: str, path: str, init: str | None, tag: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"tma {init}"} if init else {}
    if tag:
        headers["If-None-Match"] = tag
    try:
        with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except urllib.error.URLError:  # not listening (yet)
        return 0, b""


def etag(base: str, init: str) -> str:
    with urllib.request.urlopen(urllib.request.Request(base + "/peta/api/reports",
                                                       headers={"Authorization": f"tma {init}"}), timeout=10) as r:
        return str(r.headers["ETag"])


@pytest.fixture
def mapped(process: BotProcess, fake: FakeTelegram, e2e_database_url: str, rules: Rules) -> Iterator[str]:
    """The bot running with the map on its own port, no tiles (this machine is offline); the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process.env.update({"WEB_PORT": str(port), "WEB_LISTEN": "127.0.0.1", "WEBAPP_URL": f"{base}/peta/",
                        "MAP_TILE_URL": "none", "WEBAPP_MAX_AGE": "1h"})
    register(e2e_database_url, rules, [(world.CALL_TAKER, "Rina", "call_taker"), (world.LEADER, "Pak Kadis", "leader")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    fake.wait_until(lambda: api(base, "/peta/", None)[0] == 200, what="the map's server")
    yield base


@pytest.fixture
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright (never `playwright install`); the page's CSP stays on."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `apt-get install -y chromium` (make browser)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_the_map_shows_the_open_reports_to_the_call_center_and_no_caller_to_a_leader(
        mapped: str, fake: FakeTelegram, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fire = file_fire(fake)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, MEDIS)
    fake.wait_until(lambda: len([m for m in fake.bot_messages(world.CALL_TAKER) if "Laporan tercatat" in m.text]) == 2,
                    what="the second report")
    press(fake, world.DAMKAR_STAFF, "damkar", fire, "Diterima")

    page = browser.new_page(viewport={"width": 420, "height": 860})  # type: ignore[attr-defined]
    page.goto(f"{mapped}/peta/#tgWebAppData={quote(init_data(fake, world.CALL_TAKER))}")
    expect(page.locator("#list li.report")).to_have_count(2)
    expect(page.locator("path.report-marker")).to_have_count(2)
    rows = page.locator("#list li.report").all_inner_texts()
    assert any(fire in row for row in rows), rows
    assert page.locator("path.village-point").count() >= 50  # the gazetteer's villages, without any tile
    page.screenshot(path=str(tmp_path / "peta.png"), full_page=True)
    if os.environ.get("UPDATE_GUIDE_SCREENSHOT"):  # the guide's picture, made once on purpose
        GUIDE_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "peta.png", GUIDE_SCREENSHOT)
    page.locator("#list li.report", has_text=fire).click()
    card = page.locator("#card")
    card.wait_for(state="visible")
    assert fire in card.inner_text() and "Damkar" in card.inner_text()
    assert not any(word in page.content() for word in CALLER_WORDS)
    page.screenshot(path=str(tmp_path / "peta-kartu.png"))

    assert page.locator("path.report-marker[stroke-dasharray]").count() == 2  # placed at villages' centres
    page.locator("#card button").click()
    page.locator("#f-category").select_option("medis")
    expect(page.locator("#list li.report")).to_have_count(1)
    page.locator("#list li.report").click()
    assert "onerror" in page.locator("#card").inner_text()  # what was typed is shown as text, never run
    assert page.locator("#card img").count() == 0 and page.title() != "XSS"
    page.locator("#card button").click()
    page.locator("#f-category").select_option("")
    page.locator("#f-kecamatan").select_option("Sirimau")
    expect(page.locator("#list li.report")).to_have_count(1)
    expect(page.locator("#list li.report")).to_contain_text(fire)
    page.locator("#f-kecamatan").select_option("")
    page.locator("#f-agency").select_option("dinkes")  # the fire's and the medical report's agency
    expect(page.locator("#list li.report")).to_have_count(2)
    page.locator("#f-agency").select_option("damkar")
    expect(page.locator("#list li.report")).to_have_count(1)
    page.locator("#tab-recap").click()
    for which in ("hari", "bulan"):
        fake.wait_until(lambda which=which: page.locator(f"#chart-{which}").evaluate("img => img.naturalWidth") > 0,
                        what=f"the {which} chart")

    leader = browser.new_page()  # type: ignore[attr-defined]
    leader.goto(f"{mapped}/peta/#tgWebAppData={quote(init_data(fake, world.LEADER))}")
    expect(leader.locator("#list li.report")).to_have_count(2)
    leader.locator("#list li.report").first.click()
    assert not any(word in leader.content() for word in CALLER_WORDS)
    status, body = api(mapped, "/peta/api/reports", init_data(fake, world.LEADER))
    assert status == 200 and json.loads(body)["audience"] == "oversight"
    assert not any(word in body.decode() for word in CALLER_WORDS)


def test_forged_expired_or_missing_init_data_gets_401_and_a_stranger_403(
        mapped: str, fake: FakeTelegram, browser) -> None:  # type: ignore[no-untyped-def]
    file_fire(fake)
    assert api(mapped, "/peta/api/reports", None)[0] == 401
    assert api(mapped, "/peta/api/reports", init_data(fake, world.CALL_TAKER, token="123:forged"))[0] == 401
    assert api(mapped, "/peta/api/reports", init_data(fake, world.CALL_TAKER, age=7200))[0] == 401
    tampered = init_data(fake, world.STRANGER).replace(str(world.STRANGER), str(world.CALL_TAKER))
    assert api(mapped, "/peta/api/reports", tampered)[0] == 401
    assert api(mapped, "/peta/api/chart/hari.png", None)[0] == 401
    assert api(mapped, "/peta/api/reports", init_data(fake, world.STRANGER))[0] == 403
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{mapped}/peta/#tgWebAppData={quote(init_data(fake, world.CALL_TAKER, age=7200))}")
    page.wait_for_selector("body#refused")
    assert page.locator("li.report").count() == 0


def test_a_member_of_a_bound_group_opens_the_map_as_that_group_sees_cards(mapped: str, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    fake.add_member(world.GROUPS["damkar"], world.PLN_STAFF)  # unregistered, in the Damkar group
    status, body = api(mapped, "/peta/api/reports", init_data(fake, world.PLN_STAFF))
    data = json.loads(body)
    assert status == 200 and data["audience"] == "responder" and data["agency"] == "damkar"
    assert [r["number"] for r in data["reports"]] == [number]
    assert not any(word in body.decode() for word in CALLER_WORDS)
    init = init_data(fake, world.PLN_STAFF)
    assert api(mapped, "/peta/api/reports", init, tag=etag(mapped, init))[0] == 304  # nothing changed: no body


def test_the_map_is_offered_by_peta_and_the_menu_button_and_its_assets_stay_small(
        mapped: str, fake: FakeTelegram) -> None:
    fake.wait_until(lambda: fake.menu_buttons.get(None, {}).get("type") == "web_app", what="the menu button")
    fake.send_text(world.LEADER, world.LEADER, "/peta")
    private = fake.wait_for_message(world.LEADER, "Peta laporan")
    assert private.reply_markup["inline_keyboard"][0][0]["web_app"]["url"] == f"{mapped}/peta/"
    fake.send_text(world.CALL_TAKER, world.GROUPS["call_center"], "/peta")
    group = fake.wait_for_message(world.GROUPS["call_center"], "Peta laporan")
    assert group.reply_markup["inline_keyboard"][0][0]["url"].startswith("https://t.me/sigap112_bot?startapp")
    total = 0
    for path in [STATIC / "index.html", *STATIC.glob("*.js"), *STATIC.glob("*.css"), *STATIC.glob("images/*")]:
        status, body = api(mapped, "/peta/" if path.name == "index.html" else
                           f"/peta/static/{path.relative_to(STATIC)}", None)
        assert status == 200, path
        total += len(body)
    assert total < 300 * 1024, f"the page's own assets weigh {total} bytes"


def test_in_webhook_mode_the_map_shares_the_webhooks_server(
        process: BotProcess, fake: FakeTelegram, e2e_database_url: str, rules: Rules) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process.env.update({**webhook_env(port), "WEBAPP_URL": "https://bot.example.go.id/peta/"})
    register(e2e_database_url, rules, [(world.LEADER, "Pak Kadis", "leader")])
    process.start("--webhook")
    fake.wait_until(lambda: fake.webhook is not None, what="the webhook")
    fake.wait_until(lambda: api(base, "/peta/", None)[0] == 200, what="the map on the webhook's port")
    status, body = api(base, "/peta/api/reports", init_data(fake, world.LEADER))
    assert status == 200 and json.loads(body)["reports"] == []
    assert api(base, "/peta/api/reports", None)[0] == 401
