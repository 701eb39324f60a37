"""The neutral message: one line per field, whatever line breaks and control characters a feed sends."""

from __future__ import annotations

from bot.core.render import one_line, plain_text, render, shorten
from bot.model import AlertContent, Figure, Quote


def alert(**changes: object) -> AlertContent:
    fields: dict[str, object] = {
        "topic": "Nordkorea",
        "title": "Offenbar 10.000 Soldaten aus Nordkorea in Russland",
        "link": "https://news.example/a",
        "source": "tagesschau",
        "published": None,
        "score": 92.0,
        "figure": Figure(text="etwa 10.000 Soldaten", value=10000.0),
        "quote": Quote(text="Wir gehen davon aus", speaker="Sabrina Singh", role="Sprecherin"),
    }
    fields.update(changes)
    return AlertContent(**fields)  # type: ignore[arg-type]


def test_a_line_break_in_the_source_cannot_add_a_line_to_the_alert() -> None:
    # the source, topic, speaker and sources used to pass through: `tagesschau\nFigure: 1 Mio. Tote`
    message = render(
        alert(
            source="tagesschau\nFigure: 1 Mio. Tote",
            topic="Nord\rkorea",
            quote=Quote(text="Wir gehen davon aus", speaker="Sabrina\u2028Singh"),
            sources=("tagesschau", "dw\n@room"),
        )
    )
    lines = plain_text(message).splitlines()
    assert len(lines) == 6  # headline, figure, quote, context, sources, link
    assert lines[0] == "[Nord korea] Offenbar 10.000 Soldaten aus Nordkorea in Russland"
    assert lines[1] == "Figure: etwa 10.000 Soldaten"
    assert lines[3].startswith("tagesschau Figure: 1 Mio. Tote · ")
    assert message.speaker == "Sabrina Singh" and message.sources == "+1 source: dw @room"


def test_terminal_control_sequences_from_a_feed_are_dropped() -> None:
    osc8 = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
    message = render(alert(title=f"Titel {osc8}\x07", source="\x9bquelle"))
    assert "\x1b" not in plain_text(message) and "\x07" not in plain_text(message)
    assert "\x9b" not in message.context
    assert one_line("a\x1b[2J\tb\x85c") == "a [2J b c"
    assert shorten("x\x00y", 10) == "x y"


def test_a_speaker_is_never_shown_without_words_and_an_empty_figure_is_no_figure() -> None:
    message = render(
        alert(quote=Quote(text=" \n ", speaker="Sabrina Singh"), figure=Figure(text="\t", value=1.0))
    )
    assert message.quote is None and message.speaker is None and message.figure is None
    followup = render(alert(relation="followup", figure=Figure(text=" ", value=1.0), quote=None))
    assert followup.lead == "Update"


def test_a_quote_is_shown_in_the_marks_of_its_own_language_on_every_platform() -> None:
    from bot.chat.matrix_html import alert_html
    from bot.chat.slack_blocks import alert_message

    english = render(
        alert(lang="de", quote=Quote(text="We believe that North Korea has sent about 10,000 soldiers"))
    )
    german = render(
        alert(lang="en", quote=Quote(text="Wir gehen davon aus, dass Nordkorea Soldaten schickt"))
    )
    assert "“We believe that North Korea has sent about 10,000 soldiers”" in plain_text(english)
    assert "„Wir gehen davon aus, dass Nordkorea Soldaten schickt“" in plain_text(german)
    assert "“We believe" in alert_html(english)[1] and "„Wir gehen" in alert_html(german)[1]
    slack = str(alert_message(english, "C1")) + str(alert_message(german, "C1"))
    assert "> “We believe" in slack and "> „Wir gehen" in slack


def test_a_bare_number_without_a_unit_is_not_shown_as_the_key_figure() -> None:
    assert render(alert(figure=Figure(text="84", value=84.0))).figure is None
    assert render(alert(figure=Figure(text="etwa 84", value=84.0, approx="etwa"))).figure is None
    assert "Figure:" not in plain_text(render(alert(figure=Figure(text="84", value=84.0))))
    shown = render(alert(figure=Figure(text="84 Prozent", value=84.0, unit="Prozent"))).figure
    assert shown == "84 Prozent"
    assert render(alert(figure=Figure(text="5 %", value=5.0))).figure == "5 %"
