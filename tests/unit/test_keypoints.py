"""Choosing the key quote and key figure for an alert, given the topic that matched."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.core.keypoints import explain_keypoints, extract_keypoints
from bot.core.text import read_article
from bot.model import Article, TopicQuery

FIXTURES = Path(__file__).parents[1] / "fixtures"


def topic(name: str, *aliases: str) -> TopicQuery:
    return TopicQuery(name=name, aliases=(name, *aliases))


@pytest.fixture(scope="module")
def seed() -> Article:
    return read_article((FIXTURES / "seed-article-de.txt").read_text(encoding="utf-8"))


def test_seed_for_nordkorea_leads_with_the_headline_figure_and_the_pentagon_quote(seed: Article) -> None:
    points = extract_keypoints(seed, topic("Nordkorea"))
    assert points.lang == "de"
    assert points.figure is not None
    assert (points.figure.text, points.figure.value, points.figure.unit) == (
        "10.000 Soldaten",
        10_000,
        "Soldaten",
    )
    assert points.quote is not None
    assert points.quote.text.startswith("Wir gehen davon aus, dass Nordkorea insgesamt etwa 10.000 Soldaten")
    assert points.quote.speaker == "Sabrina Singh"
    assert points.quote.role == "stellvertretende Pentagon-Sprecherin"


def test_seed_for_nato_quotes_rutte(seed: Article) -> None:
    points = extract_keypoints(seed, topic("NATO"))
    assert points.quote is not None
    assert points.quote.speaker == "Mark Rutte"
    assert not points.quote.fragment
    assert points.figure is not None
    assert "Soldaten" in points.figure.text
    assert points.figure.value in (10_000, 600_000)


def test_seed_lists_every_candidate_and_keeps_fragments(seed: Article) -> None:
    points = extract_keypoints(seed, None)
    fragments = {q.text for q in points.quotes if q.fragment}
    assert {"außerordentliche Verluste", "Terror", "einer erheblichen Eskalation"} <= fragments
    assert any(f.value == 600_000 for f in points.figures)
    assert any(f.text == "Millionen Schuss Munition" for f in points.figures)


def test_english_article_without_a_newsworthy_figure() -> None:
    # modelled on the BBC News data set, "Microsoft takes on desktop search"
    article = Article(
        title="Microsoft takes on desktop search",
        text=(
            "The beta program only works on PCs running Windows XP or Windows 2000. Google launched its "
            "tool in October.\n"
            '"Our ambition for search is to provide the ultimate information tool," said Yusuf Mehdi, '
            "corporate vice president at Microsoft's MSN internet division."
        ),
    )
    points = extract_keypoints(article, topic("Microsoft"))
    assert points.lang == "en"
    assert points.figure is None
    assert points.quote is not None
    assert points.quote.speaker == "Yusuf Mehdi"


def test_money_that_says_what_it_buys_beats_a_bare_price() -> None:
    # BBC News data set, "US woman sues over cartridges"
    article = Article(
        title="US woman sues over cartridges",
        text=(
            "The price of inkjet printers has come down to as little as £34 but it could cost up to £1,700 "
            "in running costs over an 18-month period due to cartridge, a study revealed last year."
        ),
        lang="en",
    )
    figure = extract_keypoints(article, topic("Hewlett Packard")).figure
    assert figure is not None
    assert figure.value == 1700
    assert "£" in figure.text


def test_topic_and_headline_decide_between_figures() -> None:
    # FAZ, "Borussia Dortmund sorgt für Internet-Rekord" (shortened)
    article = Article(
        title="Champions League: Borussia Dortmund sorgt für Internet-Rekord",
        text=(
            "Der Einzug von Borussia Dortmund ins Halbfinale der Champions League hat den Kurs der Aktie um "
            "rund 8 Prozent steigen lassen. Das entspricht 5,7 Millionen Videos.\n"
            "Der Vorstand geht von einem Gewinn zwischen 33 und 43 Millionen Euro aus."
        ),
        lang="de",
    )
    figure = extract_keypoints(article, topic("Borussia Dortmund")).figure
    assert figure is not None
    assert (figure.value, figure.unit) == (8, "Prozent")


def test_a_named_statement_beats_a_heading_fragment() -> None:
    # MDR live blog on Magdeburg (shortened)
    article = Article(
        title="Anschlag auf Weihnachtsmarkt Magdeburg",
        text=(
            '21:15 Uhr | "Mindestens 400 Meter über den Weihnachtsmarkt"\n'
            "Die AFP spricht von 60 bis 80 Verletzten.\n"
            '21:08 | Bundeskanzler Scholz: "Die Meldungen aus Magdeburg lassen Schlimmes erahnen"'
        ),
    )
    points = extract_keypoints(article, topic("Magdeburg"))
    assert points.quote is not None
    assert points.quote.speaker == "Scholz"
    assert points.figure is not None
    assert "Verletzte" in points.figure.text


def test_scare_quotes_alone_are_no_key_quote() -> None:
    article = Article(
        title="Japan turns to beer alternatives",
        text='The market for so-called "beer-like" drinks is set to grow 84% this year.',
        lang="en",
    )
    points = extract_keypoints(article, topic("Asahi"))
    assert points.quote is None
    assert [q.text for q in points.quotes] == ["beer-like"]
    assert points.figure is not None
    assert points.figure.text == "84%"


@pytest.mark.parametrize(
    "article",
    [
        Article(title=""),
        Article(title="Keine Zahlen, keine Zitate", text="Der Text sagt nichts Bestimmtes."),
        Article(title="Unbalanced", text='Er sagte "so nicht und „ging » weg'),
        Article(title="<b>HTML</b>", text="<p>Rund &amp; 8 Prozent</p><script>x = 3;</script>"),
        Article(title="مقتل 10 أشخاص", text='"نحن مستعدون", قال المتحدث.'),
        Article(title="Mixed", text='„Wir sind bereit“, sagte Singh. "We are ready," Smith said.'),
    ],
)
def test_bad_input_gives_a_sensible_answer(article: Article) -> None:
    points = extract_keypoints(article)
    assert points.lang in ("de", "en")
    if not article.text and not article.title:
        assert points.quote is None and points.figure is None


def test_a_megabyte_article_is_handled_in_linear_time(seed: Article) -> None:
    body = (seed.text + "\n") * (1_000_000 // len(seed.text))
    small = Article(title=seed.title, text=body[: len(body) // 8])
    big = Article(title=seed.title, text=body)
    started = time.perf_counter()
    extract_keypoints(small, topic("Nordkorea"))
    small_time = time.perf_counter() - started
    started = time.perf_counter()
    points = extract_keypoints(big, topic("Nordkorea"))
    big_time = time.perf_counter() - started
    assert points.figure is not None and points.figure.value == 10_000
    assert big_time < 8 * small_time * 2 + 0.5  # linear, with slack for a noisy machine


def test_small_written_out_counts_and_time_spans_do_not_lead() -> None:
    article = Article(
        title="Foreign minister says talks agreed on principles",
        text=(
            "The minister said on Tuesday the talks went well. Officials met for hours and then went on to "
            "meet again in the evening, and the mood in the room was said to be calm and serious, with "
            "both delegations keen to keep talking. A text may follow soon, the ministry said, while "
            "diplomats from other states watched the talks closely from the sidelines.\n"
            "Talks collapsed last year after a 12-day war. Later the minister said the two sides have "
            "begun a path towards an agreement."
        ),
    )
    assert extract_keypoints(article).figure is None


def test_a_written_out_count_in_the_headline_leads() -> None:
    article = Article(
        title="Drei Polizisten in Köln suspendiert",
        text="In Köln sind drei Polizisten suspendiert worden. Die Ermittlungen dauern an.",
        lang="de",
    )
    figure = extract_keypoints(article).figure
    assert figure is not None and figure.value == 3


def test_a_three_word_fragment_is_no_key_quote_even_with_a_speaker() -> None:
    article = Article(
        title="Angriffe in Mali",
        text='Laut Oberst Diallo handelte es sich um "unbekannte bewaffnete Kämpfer".',
        lang="de",
    )
    assert extract_keypoints(article).quote is None


@pytest.mark.parametrize(
    "text",
    [
        "Wort " * 400_000,  # 2 MB without a full stop, a number or a quotation mark
        ("„Er sagte »nein und " * 20_000) + "ging.",  # nested, never closed
        "\x00\x07\x1b[31m 10.000 \x0b\x0c Soldaten \u202e „Zitat" * 5_000,  # control characters
        ('"Wir bleiben hier und kämpfen weiter.\n\n"Und wir geben nicht auf," sagte Anna Roth. ' * 5_000),
    ],
)
def test_hostile_text_gives_an_answer_in_bounded_time(text: str) -> None:
    started = time.perf_counter()
    points = extract_keypoints(Article(title="Test", text=text), topic("Soldaten"))
    assert time.perf_counter() - started < 30  # linear work; generous for a shared machine
    assert points.quote is None or points.quote in points.quotes
    assert points.figure is None or points.figure in points.figures


def test_a_short_quote_in_the_headline_is_the_key_quote() -> None:
    article = Article(
        title='Streit im Stadtrat: "Das geht so nicht weiter"',
        text=(
            "Der Stadtrat hat am Dienstag über den Haushalt gestritten. Die Fraktionen konnten sich nicht "
            "auf einen Entwurf einigen, die Sitzung endete ohne Beschluss."
        ),
        lang="de",
    )
    quote = extract_keypoints(article).quote
    assert quote is not None
    assert quote.text == "Das geht so nicht weiter"


def test_a_change_leads_with_its_size_or_new_value_not_the_old_one() -> None:
    article = Article(
        title="Unemployment rate falls",
        text=(
            "The country's official unemployment rate fell from 31.9% in the third quarter to 31.4% in the "
            "fourth quarter, the statistics office said on Tuesday."
        ),
        lang="en",
    )
    figure = extract_keypoints(article).figure
    assert figure is not None
    assert figure.value == 31.4


def test_a_bound_after_a_verb_of_movement_is_a_mark_not_the_result() -> None:
    article = Article(
        title="Umfrage: Union fällt unter 30 Prozent",
        text=(
            "Im Sonntagstrend verlieren CDU/CSU einen Prozentpunkt, sind mit 29 Prozent aber weiterhin "
            "die stärkste Partei. Die Grünen gewinnen zwei Punkte hinzu."
        ),
        lang="de",
    )
    figure = extract_keypoints(article).figure
    assert figure is not None
    assert figure.value == 29


def test_years_ago_after_a_figure_dates_it_and_does_not_make_its_sentence_background() -> None:
    article = Article(
        title="Researchers uncover a new species of early human",
        text=(
            "Fossils found in Ethiopia were dated to between 3.3 and 3.5 million years ago, the team said. "
            "Two years ago the same team had found 40 bones."
        ),
        lang="en",
    )
    features = {s.candidate.value: s.features for s in explain_keypoints(article).figures if s.candidate}
    assert "background_sentence" not in features[3.3e6]
    assert "background_sentence" in features[40]
