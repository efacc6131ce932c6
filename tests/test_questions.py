"""Questions: read from scenario files, answered on a path by hand-checked rules, reported by
every run and ensemble."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from simulator import events as ev
from simulator.engine import simulate
from simulator.errors import ScenarioError
from simulator.questions import Question, answers
from simulator.scenario import dump_scenario, load_scenario, parse_scenario

D = date

LOG = [
    ev.ControlChange(occurred_at=D(2000, 1, 2), region="R", gainer="A", share=0.6),
    ev.ControlChange(occurred_at=D(2000, 1, 2), region="R", gainer="B", share=0.4),
    ev.Offensive(occurred_at=D(2000, 3, 1), attacker="A", defender="B", region="R", casualties=40),
    ev.Displacement(occurred_at=D(2000, 3, 5), region="R", people=1000, group="b"),
    ev.Ceasefire(occurred_at=D(2000, 4, 1), parties=("A", "B")),
    ev.PeacekeeperDeployment(occurred_at=D(2000, 5, 1), contributor="C", region="R", troops=500),
    ev.ControlChange(occurred_at=D(2000, 6, 1), region="R", gainer="A", share=0.4, loser="B"),
    ev.Agreement(occurred_at=D(2000, 7, 1), parties=("A", "B"), kind="peace"),
    ev.PeacekeeperWithdrawal(occurred_at=D(2000, 8, 1), contributor="C", region="R"),
    ev.Offensive(occurred_at=D(2000, 9, 1), attacker="B", defender="A", region="R", casualties=5),
]


def q(kind: str, by: date, **given) -> Question:
    return Question(name="q", text="?", kind=kind, by=by, **given)


@pytest.mark.parametrize(
    ("question", "origin", "expected"),
    [
        (q("event", D(2000, 12, 31), event="Offensive", actors=("A", "B")), D(2000, 1, 1), True),
        (q("event", D(2000, 2, 28), event="Offensive"), D(2000, 1, 1), False),
        (q("event", D(2000, 3, 1), event="Offensive"), D(2000, 1, 1), True),  # `by` included
        (q("event", D(2000, 12, 31), event="Offensive", actors=("C",)), D(2000, 1, 1), False),
        (q("event", D(2000, 8, 31), event="Offensive"), D(2000, 3, 2), False),  # after origin
        (q("agreement", D(2000, 5, 1), agreement="ceasefire"), D(2000, 1, 1), True),
        (q("agreement", D(2000, 5, 1), agreement="peace"), D(2000, 1, 1), False),
        (q("agreement", D(2000, 7, 1), agreement="any", actors=("A",)), D(2000, 4, 2), True),
        (q("count", D(2000, 12, 31), count="deaths"), D(2000, 1, 1), 45.0),
        (q("count", D(2000, 12, 31), count="deaths"), D(2000, 3, 2), 5.0),
        (q("count", D(2000, 12, 31), count="displaced", region="R"), D(2000, 1, 1), 1000.0),
        (q("count", D(2000, 12, 31), count="displaced", region="R", group="a"), D(2000, 1, 1), 0.0),
        (q("control", D(2000, 5, 31), region="R", actor="A", above=0.9), D(2000, 1, 1), False),
        (q("control", D(2000, 6, 1), region="R", actor="A", above=0.9), D(2000, 1, 1), True),
        (q("mission", D(2000, 7, 31), region="R", mission="peacekeeping"), D(2000, 1, 1), True),
        (q("mission", D(2000, 8, 1), region="R", mission="peacekeeping"), D(2000, 1, 1), False),
        (q("mission", D(2000, 7, 31), region="R", mission="monitoring"), D(2000, 1, 1), False),
    ],
)
def test_answers_by_hand(question, origin, expected):
    assert answers([question], LOG, origin) == {"q": expected}


def test_a_question_closed_before_the_origin_is_not_asked():
    assert answers([q("event", D(2000, 1, 1), event="Offensive")], LOG, D(2000, 2, 1)) == {
        "q": None
    }


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

TEXT = """
[scenario]
name = "asked"
start = 2000-01-01
horizon = 2003-12-31

[actors]
A = { name = "A", kind = "state" }
B = { name = "B", kind = "state" }

[regions]
R = "the region"

[[events]]
type = "ControlChange"
occurred_at = 2000-01-02
region = "R"
gainer = "A"
share = 1.0

[[questions]]
name = "war"
text = "Will A and B fight by the end of 2003?"
kind = "event"
event = "Offensive"
actors = ["A", "B"]
by = 2003-12-31

[[questions]]
name = "held"
text = "Will A hold more than 90% of R at the end of 2003?"
kind = "control"
region = "R"
actor = "A"
above = 0.9
by = 2003-12-31
"""


def test_questions_are_read_dumped_back_and_answered_by_every_run():
    scenario = parse_scenario(TEXT)
    assert [x.name for x in scenario.questions] == ["war", "held"]
    assert parse_scenario(dump_scenario(scenario)) == scenario
    run = simulate(scenario, 3)
    assert isinstance(run.metrics["question:war"], bool)
    assert (
        run.metrics["question:held"]
        == answers(scenario.questions, run.events, scenario.start)["held"]
    )


@pytest.mark.parametrize(
    ("change", "where", "what"),
    [
        (('kind = "control"', 'kind = "contrl"'), "questions[1].kind", "control"),
        (('actor = "A"', 'actor = "Z"'), "questions[1].actor", "not a declared actor"),
        (
            ('region = "R"\nactor', 'region = "Q"\nactor'),
            "questions[1].region",
            "not a declared region",
        ),
        (('event = "Offensive"', 'event = "Offence"'), "questions[0].event", "Offensive"),
        (("above = 0.9", "above = 1.5"), "questions[1].above", "[0, 1)"),
        (("above = 0.9\n", ""), "questions[1].above", "missing"),
        (
            ("by = 2003-12-31\n\n[[questions]]", "by = 2009-12-31\n\n[[questions]]"),
            "questions[0].by",
            "outside",
        ),
        (('name = "held"', 'name = "war"'), "questions[1].name", "again"),
    ],
)
def test_bad_questions_are_one_line_at_their_place(tmp_path, change, where, what):
    path = tmp_path / "case.toml"
    text = TEXT.replace(*change)
    assert text != TEXT
    path.write_text(text, "utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{path}:") and where in message and what in message, message
