"""The transition table of one agency's steps, every state × every action, and the buttons shown."""

from __future__ import annotations

import pytest

from bot.domain.lifecycle import (
    Action,
    IncidentStatus,
    TargetStatus,
    Verdict,
    all_done,
    buttons_for,
    decide,
    decline_buttons_for,
)

P, A, C, S, D = (TargetStatus.PENDING, TargetStatus.ACKNOWLEDGED, TargetStatus.CLAIMED, TargetStatus.ON_SCENE,
                 TargetStatus.DONE)
X, N, R = TargetStatus.DECLINED, TargetStatus.NO_UNIT, TargetStatus.RELEASED
OK, ALREADY, NOT_NOW = Verdict.OK, Verdict.ALREADY, Verdict.NOT_NOW

TABLE = {
    #           ack      claim    arrive   done     decline  no unit
    P: (OK, OK, OK, NOT_NOW, OK, OK),
    A: (ALREADY, OK, OK, OK, OK, OK),
    C: (ALREADY, ALREADY, OK, OK, NOT_NOW, NOT_NOW),
    S: (ALREADY, ALREADY, ALREADY, OK, NOT_NOW, NOT_NOW),
    D: (ALREADY, ALREADY, ALREADY, ALREADY, ALREADY, ALREADY),
    X: (ALREADY, ALREADY, ALREADY, ALREADY, ALREADY, ALREADY),
    N: (ALREADY, ALREADY, ALREADY, ALREADY, ALREADY, ALREADY),
    R: (ALREADY, ALREADY, ALREADY, ALREADY, ALREADY, ALREADY),  # released by the desk (/lepas): out
}
ACTIONS = (Action.ACK, Action.CLAIM, Action.ARRIVE, Action.DONE, Action.DECLINE, Action.NO_UNIT)


@pytest.mark.parametrize("status", list(TargetStatus))
@pytest.mark.parametrize("index", range(len(ACTIONS)))
def test_every_step_from_every_state_on_an_open_incident(status: TargetStatus, index: int) -> None:
    assert decide(ACTIONS[index], status, IncidentStatus.OPEN) == TABLE[status][index]


@pytest.mark.parametrize("status", list(TargetStatus))
@pytest.mark.parametrize("action", ACTIONS)
def test_a_closed_incident_refuses_every_press(status: TargetStatus, action: Action) -> None:
    assert decide(action, status, IncidentStatus.CLOSED) == Verdict.CLOSED


def test_the_buttons_follow_the_state() -> None:
    assert buttons_for(P, "open") == [Action.ACK, Action.CLAIM]
    assert buttons_for(A, "open") == [Action.CLAIM, Action.ARRIVE, Action.DONE]
    assert buttons_for(C, "open") == [Action.ARRIVE, Action.DONE]
    assert buttons_for(S, "open") == [Action.DONE]
    assert buttons_for(D, "open") == []
    assert buttons_for(P, "closed") == []


def test_an_agency_may_say_no_only_before_it_sets_out_and_then_keeps_no_buttons() -> None:
    assert decline_buttons_for(P, "open") == decline_buttons_for(A, "open") == [Action.DECLINE, Action.NO_UNIT]
    assert decline_buttons_for(C, "open") == decline_buttons_for(X, "open") == decline_buttons_for(P, "closed") == []
    assert buttons_for(X, "open") == buttons_for(N, "open") == []


def test_agencies_that_said_no_do_not_hold_up_or_make_up_all_done() -> None:
    from bot.domain.lifecycle import TargetView

    def view(status: TargetStatus) -> TargetView:
        return TargetView("k", "K", status, None, None)

    assert all_done([view(D), view(X), view(N)])
    assert not all_done([view(X), view(N)])
    assert not all_done([view(D), view(P)])


def test_an_agency_that_finished_keeps_no_buttons_while_the_caller_is_confirmed() -> None:
    assert buttons_for(D, IncidentStatus.AWAITING_CONFIRMATION) == []


def test_histogram_quantiles_equal_the_inclusive_method_on_whole_seconds() -> None:
    import random
    import statistics

    from bot.domain.stats import measure as measure_of

    rng = random.Random(5)
    for size in (1, 2, 3, 10, 101):
        seconds = [rng.randrange(0, 590) for _ in range(size)]
        buckets: dict[int, int] = {}
        for s in seconds:
            buckets[s] = buckets.get(s, 0) + 1
        measure = measure_of([(s / 60, n, 0) for s, n in buckets.items()], has_deadline=False)
        minutes = [s / 60 for s in seconds]
        expected_p90 = minutes[0] if size == 1 else statistics.quantiles(minutes, n=10, method="inclusive")[8]
        assert measure.median == pytest.approx(statistics.median(minutes))
        assert measure.p90 == pytest.approx(expected_p90)
        assert measure.n == size and measure.within is None


@pytest.mark.parametrize(("role", "group", "expected"), [
    (None, None, "ignore"), ("call_taker", None, "rekap_not_allowed"), ("supervisor", None, "ok"),
    ("leader", None, "ok"), ("admin", None, "ok"), ("responder", "damkar", "rekap_not_allowed"),
    (None, "monitoring", "ok"), (None, "pimpinan", "ok"), ("call_taker", "call_center", "ok"),
])
def test_who_may_ask_for_a_recap(role: str | None, group: str | None, expected: str) -> None:
    from bot.services.stats import recap_access

    assert recap_access(role, group) == expected
