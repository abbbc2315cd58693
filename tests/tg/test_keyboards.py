"""Keyboards are built in one place from the domain's button spec, and read back the same way."""

from __future__ import annotations

from bot.domain import form
from bot.domain.callback_data import AgencyPress, card_incident
from bot.domain.ruleset import Rules
from bot.i18n import Catalogue
from bot.tg.keyboards import callback_datas, form_keyboard, keyboard


def test_a_card_spec_becomes_the_same_rows_and_reads_back_as_its_incident() -> None:
    rows = ((("✅ Diterima", AgencyPress(7, "ack").encode()), ("🚗 Berangkat", AgencyPress(7, "clm").encode())), ())
    markup = keyboard(rows)
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [list(rows[0]), []]
    assert card_incident(callback_datas(markup)) == 7


def test_no_rows_make_an_empty_keyboard_and_no_markup_has_no_data() -> None:
    assert keyboard(()).inline_keyboard == ()
    assert callback_datas(None) == []


def test_a_form_prompt_translates_catalogue_keys_and_keeps_data_labels(rules: Rules, tr: Catalogue) -> None:
    prompt = form.prompt(5, {}, rules)
    markup = form_keyboard(prompt, tr)
    assert markup is not None
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels[0] == next(iter(rules.categories.values())).label and labels[-1] == tr("btn_cancel")
    assert callback_datas(markup) == [b.data for row in prompt.buttons for b in row]


def test_a_prompt_without_buttons_has_no_keyboard(tr: Catalogue) -> None:
    assert form_keyboard(form.Prompt("form_ask_alamat"), tr) is None
