"""Every renderer is total: for any user text at every field's maximum length it terminates, gives Telegram HTML
that parses, and fits Telegram's limits counted as Telegram counts (UTF-16 code units after entity parsing)."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.calls import CallKind, PastCall, history_line, history_of, history_text, logged_text
from bot.domain.lifecycle import IncidentStatus, TargetStatus, TargetView
from bot.domain.model import FIELD_MAX, Incident, Report
from bot.domain.periods import Period
from bot.domain.privacy import Audience
from bot.domain.render import cut, render_card, render_digest, render_fields, target_line
from bot.domain.ruleset import Rules
from bot.domain.stats import Recap, recap_text, spoken_summary
from bot.domain.timeline import ActiveItem, Entry, active_lines, render_timeline
from bot.i18n import Catalogue, Html
from bot.i18n.text import ANSWER_LIMIT, CAPTION_LIMIT, TEXT_LIMIT, clean, fit, plain_fit, shown_plain, visible
from bot.sandbox.html_check import to_plain, utf16_len

WIT = ZoneInfo("Asia/Jayapura")
NOW = datetime(2026, 1, 5, 1, 4, tzinfo=UTC)
NAME_MAX = 200  # an actor's name as the services keep it (Telegram's full name, cut)
NOTE_MAX = 1000  # a reply note as the services keep it
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# What a hostile or careless user types: astral emoji (2 UTF-16 units), what HTML escapes (&<> grow 4-5 times),
# bidi and zero-width controls, combining marks, line breaks; and anything else Unicode has.
NASTY = st.sampled_from(["🚒", "🔥", "👨‍👩‍👧", "🇮🇩", "&", "<", ">", '"', "\n", "\r", "e\u0301", "\u0301", "a",
                         " ", "\U0001F3FB", "\ufe0f", "𝔸", "\x00", "\x1b", *BIDI, *ZERO_WIDTH])


def user_text(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Arbitrary text of at most `max_size` characters (as the parser keeps a field), often exactly that long."""
    pieces = st.lists(st.one_of(NASTY, st.characters(codec="utf-8")), min_size=min_size, max_size=max_size)
    text = pieces.map(lambda parts: "".join(parts)[:max_size])
    return st.one_of(text.map(lambda t: (t * (max_size // max(len(t), 1) + 1))[:max_size] if t else t), text)


def assert_fits(text: str, limit: int = TEXT_LIMIT) -> str:
    plain = to_plain(text)  # raises unless Telegram would parse it
    assert utf16_len(plain) <= limit, (utf16_len(plain), limit)
    return plain


@st.composite
def reports(draw: st.DrawFn) -> Report:
    return Report(category="bencana", subtype="kebakaran", priority="kritis", kecamatan="Sirimau",
                  kecamatan_code="81.71.02", village=draw(user_text(FIELD_MAX["kelurahan"])) or None,
                  village_code=None, outside_city=False, address=draw(user_text(FIELD_MAX["alamat"])),
                  description=draw(user_text(FIELD_MAX["keterangan"])),
                  caller_name=draw(user_text(FIELD_MAX["pelapor"])) or None, caller_phone="+6281234567890",
                  lat=-3.69, lon=128.18, origin=draw(user_text(FIELD_MAX["asal"])) or None,
                  destination=draw(user_text(FIELD_MAX["tujuan"])) or None)


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    closed = draw(st.booleans())
    return Incident(draw(st.integers(1, 10**6)), "112-2026-99999", draw(reports()), NOW,
                    draw(user_text(NAME_MAX)), status=IncidentStatus.CLOSED if closed else IncidentStatus.OPEN,
                    outcome="tertangani" if closed else None, closed_at=NOW if closed else None,
                    closed_by_name=draw(user_text(NAME_MAX)) if closed else None)


def targets(rules: Rules) -> st.SearchStrategy[list[TargetView]]:
    target = st.builds(TargetView, st.sampled_from(sorted(rules.agencies)), user_text(60),
                       st.sampled_from(list(TargetStatus)), st.just(NOW), user_text(NAME_MAX), user_text(NOTE_MAX))
    return st.lists(target, max_size=12)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])


@PROPERTY
@given(data=st.data())
def test_every_card_terminates_parses_and_fits_for_any_user_text(rules: Rules, tr: Catalogue,
                                                                 data: st.DataObject) -> None:
    incident, views = data.draw(incidents()), data.draw(targets(rules))
    for audience in Audience:
        assert_fits(render_card(incident, rules, tr, WIT, audience=audience, targets=views))


@PROPERTY
@given(data=st.data())
def test_a_card_of_emoji_at_every_maximum_keeps_its_status_lines(rules: Rules, tr: Catalogue,
                                                                 data: st.DataObject) -> None:
    emoji = data.draw(st.sampled_from(["🚒", "&", "👨‍👩‍👧", "<"]))
    def at_most(n: int) -> str:
        return (emoji * n)[:n]

    m = FIELD_MAX
    report = Report("bencana", "kebakaran", "kritis", "Sirimau", None, at_most(m["kelurahan"]), None, False,
                    at_most(m["alamat"]), at_most(m["keterangan"]), at_most(m["pelapor"]), "+6281234567890",
                    -3.69, 128.18, at_most(m["asal"]), at_most(m["tujuan"]))
    incident = Incident(1, "112-2026-00001", report, NOW, at_most(NAME_MAX))
    views = [TargetView(key, rules.agency_name(key), TargetStatus.DONE, NOW, at_most(NAME_MAX), at_most(NOTE_MAX))
             for key in sorted(rules.agencies)[:8]]
    plain = assert_fits(render_card(incident, rules, tr, WIT, audience=Audience.DESK, targets=views))
    assert plain.count("🏁 selesai") == 8
    assert ("dipotong" in plain) == (emoji not in "&<")  # escaped, & and < still count one each


@PROPERTY
@given(data=st.data())
def test_a_note_or_name_can_never_add_a_line_to_the_card(rules: Rules, tr: Catalogue, data: st.DataObject) -> None:
    view = TargetView("pln", "PLN", TargetStatus.CLAIMED, NOW, data.draw(user_text(NAME_MAX)),
                      data.draw(user_text(NOTE_MAX)))
    line = to_plain(target_line(view, tr, WIT))
    assert "\n" not in line and not set(line) & set(BIDI + ZERO_WIDTH)


def test_a_forged_status_line_in_a_note_stays_on_the_notes_line(rules: Rules, tr: Catalogue) -> None:
    view = TargetView("pln", "PLN", TargetStatus.CLAIMED, NOW, "Budi", "OTW\n• PLN: 🏁 selesai 10:05 (Yani)")
    card = to_plain(render_card(Incident(1, "112-2026-00001", Report(
        "bencana", "kebakaran", "kritis", "Sirimau", None, None, None, False, "Jl. A", "api"), NOW, "Rina"),
        rules, tr, WIT, audience=Audience.RESPONDER, targets=[view]))
    assert [line for line in card.splitlines() if line.startswith("• PLN")] == [
        "• PLN: 🚗 berangkat 10.04 (Budi) — OTW • PLN: 🏁 selesai 10:05 (Yani)"]


@PROPERTY
@given(data=st.data())
def test_every_digest_of_a_surge_fits(rules: Rules, tr: Catalogue, data: st.DataObject) -> None:
    items = data.draw(st.lists(incidents(), min_size=1, max_size=30))
    assert_fits(render_digest(items, rules, tr, WIT, data.draw(st.booleans())))


@PROPERTY
@given(data=st.data())
def test_every_timeline_fits(rules: Rules, tr: Catalogue, data: st.DataObject) -> None:
    incident = data.draw(incidents())
    card = render_card(incident, rules, tr, WIT, audience=Audience.DESK, targets=data.draw(targets(rules)))
    entry = st.builds(Entry, st.just(NOW), st.sampled_from(["created", "note", "comment", "step", "closed", "x"]),
                      user_text(NAME_MAX), user_text(NAME_MAX), st.just(None), st.just("claimed"),
                      st.fixed_dictionaries({"note": user_text(NOTE_MAX)}))
    entries = data.draw(st.lists(entry, max_size=30))
    shown = assert_fits(render_timeline(incident.number, card, entries, tr, WIT, {}))
    assert visible(tr("timeline_header", number=incident.number)) in shown  # a long card leaves room for history


@PROPERTY
@given(data=st.data())
def test_every_list_of_open_reports_fits(tr: Catalogue, data: st.DataObject) -> None:
    item = st.builds(ActiveItem, st.just("112-2026-00001"), user_text(60), user_text(120), st.just(NOW),
                     st.sampled_from(["open", "awaiting_confirmation"]), st.lists(user_text(60), max_size=12))
    assert_fits(active_lines(data.draw(st.lists(item, max_size=80)), tr, NOW + timedelta(hours=3)))


@PROPERTY
@given(data=st.data())
def test_every_recap_fits(tr: Catalogue, data: st.DataObject) -> None:
    names = st.lists(st.tuples(user_text(120), st.integers(0, 10**6)), min_size=1, max_size=60)
    recap = Recap(Period(NOW, NOW + timedelta(days=1), data.draw(user_text(60))), 5, data.draw(names), [],
                  data.draw(names), 1, 1, 1, by_village=data.draw(names))
    labels = {key: data.draw(user_text(120)) for key, _ in recap.by_category}
    assert_fits(cut(Html(spoken_summary(recap, labels, tr) + "\n\n" + recap_text(recap, labels, {}, tr))))


@PROPERTY
@given(data=st.data())
def test_every_draft_summary_fits(tr: Catalogue, data: st.DataObject) -> None:
    fields = {name: data.draw(user_text(limit)) for name, limit in FIELD_MAX.items()}
    assert_fits(cut(tr("form_summary", fields=render_fields(fields, tr))))


@PROPERTY
@given(key=st.sampled_from(sorted(Catalogue("id").keys())), data=st.data())
def test_every_message_of_the_catalogue_fits_once_cut(key: str, data: st.DataObject) -> None:
    """Reminders, escalations, confirmation requests, handovers, notices: whatever is filled in, `fit` (the one
    place that limits, applied again by the sender to every outbox text) leaves valid HTML within the limit."""
    tr = Catalogue("id")
    params = {name: data.draw(user_text(NOTE_MAX)) for _, name, _, _ in string.Formatter().parse(tr._messages[key])
              if name}
    text = tr(key, **params) * data.draw(st.integers(1, 40))
    for limit in (TEXT_LIMIT, CAPTION_LIMIT, 100):
        assert_fits(fit(text, limit), limit)


@PROPERTY
@given(user_text(5000))
def test_a_cut_keeps_what_fits_ends_in_an_ellipsis_and_splits_no_character(text: str) -> None:
    html = Html(cut(Catalogue("id")("card_description", description=text)))
    plain = assert_fits(html)
    full = to_plain(Catalogue("id")("card_description", description=text))
    if plain != full:
        assert plain.endswith("…") and full.startswith(plain[:-1].rstrip()[:-1])


@PROPERTY
@given(user_text(1000))
def test_callback_answers_and_captions_fit_as_plain_text(text: str) -> None:
    answer = shown_plain(Catalogue("id")("press.ok.ack", agency=text) + text, ANSWER_LIMIT)
    assert utf16_len(answer) <= ANSWER_LIMIT and "&amp;" not in answer.replace(text, "")
    assert utf16_len(plain_fit("Grafik " + text * 3, CAPTION_LIMIT)) <= CAPTION_LIMIT


@given(user_text(300))
def test_clean_text_has_no_controls_bidi_or_zero_width_and_one_line_has_no_break(text: str) -> None:
    one = clean(text, one_line=True)
    assert not set(one) & set(BIDI + ZERO_WIDTH + "\n\r\x00\x1b\u2028")
    assert not set(clean(text)) & set(BIDI + ZERO_WIDTH + "\r\x00\x1b")


def test_clean_keeps_exactly_the_characters_the_rule_keeps_over_all_of_unicode() -> None:
    """clean() drops in one regex pass what _kept() (the rule, character by character) refuses."""
    from bot.i18n.text import _kept

    every = "".join(chr(c) for c in range(0x110000))
    assert clean(every) == "".join(c for c in every if _kept(c))


def test_lengths_count_utf16_units_of_the_visible_text() -> None:
    from bot.i18n.text import visible_len

    assert visible_len("<b>🚒&amp;</b>") == 3 and visible("<i>a&lt;b</i>") == "a<b"
    assert fit("<b>" + "🚒" * 3000 + "</b>", 4096) == "<b>" + "🚒" * 2047 + "…</b>"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 120), st.sampled_from([*CallKind, "dihapus"]), user_text(NOTE_MAX)),
                max_size=40))
def test_a_numbers_history_always_fits(calls: list[tuple[int, str, str]]) -> None:
    tr = Catalogue("id")
    past = [PastCall(NOW - timedelta(days=d), kind, note or None, "112-2026-00001") for d, kind, note in calls]
    history = history_of(past, NOW, timedelta(days=90))
    assert_fits(history_text("0812-3456-7890", history, tr, WIT))
    assert_fits(history_line(history, tr, WIT) or "")
    note = " · ".join(n for _, _, n in calls)[:NOTE_MAX] or None
    assert_fits(logged_text(calls[0][1] if calls else "iseng", NOW, "+6281234567890", note, history, True, tr, WIT))
