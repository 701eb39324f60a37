"""Direct quotations, their speaker and role, in German and English; fragments and traps."""

from __future__ import annotations

import pytest

from bot.core.quotes import find_quotes
from bot.model import Quote


def one(text: str, lang: str) -> Quote:
    quotes = find_quotes(text, lang)
    assert len(quotes) == 1, quotes
    return quotes[0]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("„Wir bleiben an der Seite der Ukraine“, sagte Scholz.", "de"),
        ("„Wir bleiben an der Seite der Ukraine”, sagte Scholz.", "de"),
        ("»Wir bleiben an der Seite der Ukraine«, sagte Scholz.", "de"),
        ("«Wir bleiben an der Seite der Ukraine», sagte Scholz.", "de"),
        ('"Wir bleiben an der Seite der Ukraine", sagte Scholz.', "de"),
        ("“Wir bleiben an der Seite der Ukraine,” Scholz said.", "en"),
        ('"Wir bleiben an der Seite der Ukraine," Scholz said.', "en"),
    ],
)
def test_every_kind_of_quotation_mark(text: str, lang: str) -> None:
    quote = one(text, lang)
    assert quote.text == "Wir bleiben an der Seite der Ukraine"
    assert quote.speaker == "Scholz"
    assert not quote.fragment
    assert text[quote.start : quote.start + 10] == quote.text[:10]


def test_speaker_and_role_from_a_german_attribution() -> None:
    # seed article (tagesschau)
    quote = one(
        '"Wir gehen davon aus, dass Nordkorea insgesamt etwa 10.000 Soldaten zur Ausbildung nach '
        'Ostrussland geschickt hat", sagte die stellvertretende Pentagon-Sprecherin Sabrina Singh.',
        "de",
    )
    assert quote.speaker == "Sabrina Singh"
    assert quote.role == "stellvertretende Pentagon-Sprecherin"


def test_surname_attribution_resolves_to_the_full_name_named_before() -> None:
    text = (
        "Zuvor hatte NATO-Generalsekretär Mark Rutte die Meldungen bestätigt. "
        '"Die vertiefte Zusammenarbeit ist eine Bedrohung für die Sicherheit", sagte Rutte. '
        '"Das ist eine erhebliche Eskalation des Krieges", so Rutte.'
    )
    first, second = find_quotes(text, "de")
    assert first.speaker == second.speaker == "Mark Rutte"


def test_role_attribution_refers_back_to_the_person_named() -> None:
    text = (
        "Der ukrainische Präsident Wolodymyr Selenskyj forderte eine internationale Reaktion. "
        '"Die Ukraine wird faktisch gezwungen sein, in Europa gegen Nordkorea zu kämpfen", '
        "konstatierte der Staatschef."
    )
    quote = one(text, "de")
    assert (quote.speaker, quote.role) == ("Wolodymyr Selenskyj", "Staatschef")


def test_pronoun_attribution_refers_back_to_the_last_speaker() -> None:
    text = (
        '"Wir brauchen jetzt mehr Luftabwehr für unsere Städte", sagte Selenskyj. '
        'Ohne entschlossene Schritte werde Putin zu weiterem "Terror" ermutigt, warnte er.'
    )
    quotes = find_quotes(text, "de")
    assert [q.speaker for q in quotes] == ["Selenskyj", "Selenskyj"]
    assert quotes[1].fragment


def test_english_pronoun_speaker() -> None:
    text = (
        'Defence Secretary John Healey visited the base. "We will stand with our allies for as long '
        'as it takes," he told reporters.'
    )
    assert one(text, "en").speaker == "John Healey"


def test_colon_attribution_with_role_before_the_name() -> None:
    # MDR live blog heading
    quote = one('21:08 | Bundeskanzler Scholz: "Die Meldungen aus Magdeburg lassen Schlimmes erahnen"', "de")
    assert (quote.speaker, quote.role) == ("Scholz", "Bundeskanzler")
    assert not quote.fragment


def test_english_name_then_appositive_role() -> None:
    # BBC News data set, "Microsoft takes on desktop search"
    quote = one(
        '"Our ambition for search is to provide the ultimate information tool that can find anything '
        "you're looking for,\" said Yusuf Mehdi, "
        "corporate vice president at Microsoft's MSN internet division.",
        "en",
    )
    assert quote.speaker == "Yusuf Mehdi"
    assert quote.role == "corporate vice president at Microsoft's MSN internet division"
    assert quote.text.endswith("you're looking for")


def test_german_name_then_appositive_role() -> None:
    # FAZ, "Borussia Dortmund sorgt für Internet-Rekord"
    quote = find_quotes(
        "„Wir haben bereits im vergangenen Jahr gelernt, dass die Spiele der UEFA Champions League "
        "ein echter Streamingmagnet sind“, sagte Thomas King, Technik-Chef von DE-CIX.",
        "de",
    )[0]
    assert (quote.speaker, quote.role) == ("Thomas King", "Technik-Chef von DE-CIX")


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"The economy is recovering faster than we expected," Smith said.', "Smith"),
        ('"The economy is recovering faster than we expected," said Jane Smith.', "Jane Smith"),
        (
            'The economy is recovering, according to Jane Smith, who said "we expected this all along".',
            "Jane Smith",
        ),
        ('According to Jane Smith, "the economy is recovering faster than we expected".', "Jane Smith"),
        (
            '"Die Wirtschaft erholt sich schneller als erwartet", so Finanzminister Christian Lindner.',
            "Christian Lindner",
        ),
        ('Lindner sagte: "Die Wirtschaft erholt sich schneller als erwartet."', "Lindner"),
        ('"Die Lage ist unter Kontrolle", sagte ein Polizeisprecher.', None),
        ('"The project will be a disaster for the island," Narendra Modi\'s critics said.', None),
        ('"Die Lage ist unter Kontrolle", teilte die Polizei mit.', None),
        ('"The chip is engineered to register ink depletion early," the suit said.', None),
    ],
)
def test_speech_patterns(text: str, speaker: str | None) -> None:
    quote = find_quotes(text, "en" if " the " in text or "said" in text else "de")[0]
    assert quote.speaker == speaker


def test_indefinite_role_is_kept_without_a_speaker() -> None:
    quote = one('"Die Lage ist unter Kontrolle", sagte ein Polizeisprecher.', "de")
    assert (quote.speaker, quote.role) == (None, "Polizeisprecher")


def test_quote_split_by_its_attribution_is_one_quote() -> None:
    text = '"Wir stehen an der Seite der Ukraine", sagte Rutte. "Und das wird so bleiben."'
    quote = one(text, "de")
    assert quote.text == "Wir stehen an der Seite der Ukraine. Und das wird so bleiben."
    assert quote.speaker == "Rutte"


def test_english_quote_split_by_its_attribution() -> None:
    quote = one('"We are ready," he said, "but we need more time."', "en")
    assert quote.text == "We are ready, but we need more time."


def test_quote_spanning_sentences_keeps_its_sentences() -> None:
    quote = one("„Das ist ein Rekord. Und es geht weiter. Wir sind sehr zufrieden“, sagte King.", "de")
    assert quote.text == "Das ist ein Rekord. Und es geht weiter. Wir sind sehr zufrieden"


def test_nested_quotes_stay_inside_the_outer_quote() -> None:
    quote = one("„Er nannte das ‚eine erhebliche Eskalation‘ und ging“, sagte Singh.", "de")
    assert quote.text == "Er nannte das ‚eine erhebliche Eskalation‘ und ging"
    quote = one("“He called it ‘a major escalation’ and left,” Singh said.", "en")
    assert quote.text == "He called it ‘a major escalation’ and left"


def test_scare_quotes_and_short_fragments_are_fragments() -> None:
    # seed article
    text = (
        'Dessen Streitkräfte hätten "außerordentliche Verluste" erlitten, sagte Singh. '
        'Putin werde zu weiterem "Terror" ermutigt. '
        'the market for so-called "beer-like" drinks is set to grow'
    )
    quotes = find_quotes(text, "de")
    assert [q.text for q in quotes] == ["außerordentliche Verluste", "Terror", "beer-like"]
    assert all(q.fragment for q in quotes)


def test_apostrophes_are_not_quotes() -> None:
    assert find_quotes("Putin’s troops don’t retreat, the ministers' report says.", "en") == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Keine Zitate in diesem Text.",
        '"Ein Zitat ohne Ende, das nie geschlossen wird\nund ein neuer Absatz.',
        "„" * 5_000,
        '"' * 5_001,
        "»" + "x" * 10_000 + "«",
        '<p>"Wir sind bereit", sagte <b>Singh</b>.</p>',
        '"نحن مستعدون", قال المتحدث.',
        "„Mixed English and Deutsch“, said Smith und sagte Müller.",
    ],
)
def test_bad_input_never_raises(text: str) -> None:
    for quote in find_quotes(text, "de") + find_quotes(text, "en"):
        assert quote.text


def test_unbalanced_mark_does_not_swallow_the_paragraph() -> None:
    quotes = find_quotes('Er sagte "so nicht.\n"Wir sind bereit für Gespräche", sagte Singh.', "de")
    assert [q.text for q in quotes] == ["Wir sind bereit für Gespräche"]


def test_a_possessive_is_no_speaker_and_a_new_subject_takes_the_pronoun() -> None:
    text = (
        "Prime Minister Anil Rao’s government wants the port. Lawmaker Mira Das from the opposition "
        "called the ruling sad. “There is clear evidence that the port will harm the island,” she said."
    )
    quote = one(text, "en")
    assert quote.speaker == "Mira Das"


def test_a_person_named_in_apposition_is_the_pronouns_referent() -> None:
    text = (
        "Interior Minister Karl Obst spoke first. Jana Weiss, the co-founder of the group that sued, "
        "also celebrated. “We won and the ban is unlawful as the court said today,” she said."
    )
    assert one(text, "en").speaker == "Jana Weiss"
    widow = (
        "The ministers met President Ivan Petrov. Ruden’s widow, Olga Rudena, spoke to reporters. "
        "“My husband was poisoned and now there is proof of it,” she said."
    )
    assert one(widow, "en").speaker == "Olga Rudena"


def test_a_subject_named_after_the_last_quote_is_the_new_speaker() -> None:
    text = (
        "“The economy comes first for the new government,” analyst Tom Reed said. "
        "Separately, Planning Minister Amir Khan, who was visiting, conveyed best wishes. "
        "“It was an honour to be part of this historic moment for the region,” he said."
    )
    quotes = find_quotes(text, "en")
    assert [q.speaker for q in quotes] == ["Tom Reed", "Amir Khan"]


def test_a_following_quote_is_not_given_to_the_previous_speaker_after_a_new_subject() -> None:
    text = (
        "“We will not give up on this plan,” Minister Lea Roth said. "
        "Mayor Paul Stein, who was visiting, praised the town for “steering the country towards new heights”."
    )
    quotes = find_quotes(text, "en")
    assert quotes[1].speaker is None


def test_a_surname_takes_the_full_name_written_elsewhere() -> None:
    text = (
        "What we learned from Marco Polo’s speech in Munich.\n"
        "“We made these mistakes together and we will fix them together,” Polo said."
    )
    assert one(text, "en").speaker == "Marco Polo"


def test_who_said_that_attribution() -> None:
    text = 'Democrats condemned Republican Representative Randy Hill who said on Sunday that "it is easy."'
    quote = one(text, "en")
    assert (quote.speaker, quote.role) == ("Randy Hill", "Republican Representative")


def test_laut_with_a_common_noun_names_no_person() -> None:
    text = 'Die Armee meldete Angriffe. Laut Armee handelte es sich um "unbekannte bewaffnete Kämpfer".'
    assert one(text, "de").speaker is None


def test_a_german_role_reads_right_after_the_name_without_its_article() -> None:
    text = (
        "„Wir stehen an der Seite der Ukraine“, sagte der neue Bundesaußenminister Johann Wadephul. "
        "„Der Antrag kommt zu spät“, sagte das neue Vorstandsmitglied Anna Berg. "
        "„Wir prüfen das“, sagte die stellvertretende Sprecherin Julia Kurz."
    )
    roles = [(q.speaker, q.role) for q in find_quotes(text, "de")]
    assert roles == [
        ("Johann Wadephul", "neuer Bundesaußenminister"),
        ("Anna Berg", "neues Vorstandsmitglied"),
        ("Julia Kurz", "stellvertretende Sprecherin"),
    ]


# issue 14: speakers the attribution names with an initial, after a month, or in an apposition
@pytest.mark.parametrize(
    ("text", "lang", "speaker", "role"),
    [
        (
            "„Wir sind mit dem Jahr zufrieden und planen weiter“, sagte Anna M. Schmidt, "
            "Sprecherin des Verbunds.",
            "de",
            "Anna M. Schmidt",
            "Sprecherin des Verbunds",
        ),
        (
            "Im März sagte Kanzler Olaf Scholz: „Wir werden die Ukraine weiter unterstützen.“",
            "de",
            "Olaf Scholz",
            "Kanzler",
        ),
        (
            '"Inflation will fall back to the target next year," the governor, Andrew Bailey, said.',
            "en",
            "Andrew Bailey",
            "governor",
        ),
    ],
)
def test_the_speaker_is_the_whole_name_the_attribution_gives(
    text: str, lang: str, speaker: str, role: str
) -> None:
    quotes = find_quotes(text, lang)
    assert [(q.speaker, q.role) for q in quotes] == [(speaker, role)]


@pytest.mark.parametrize(
    ("text", "lang", "speaker"),
    [
        (  # the name and the verb stand before the quote, but not next to it
            "CEO Jana Berg said the market was weaker, but the firm's \"steady growth in such a market is "
            'highly encouraging."',
            "en",
            "Jana Berg",
        ),
        (
            "Prime Minister Kira Lund posted condolences, saying “words are not enough to describe it.”",
            "en",
            "Kira Lund",
        ),
        (  # an organisation in an apposition between name and verb
            "Tom Reed, of Harbour Capital, said: “These results come against a background of weak sales.”",
            "en",
            "Tom Reed",
        ),
        (  # the speaker named in the sentence before a quote introduced by a colon
            "Darauf wies der Vorsitzende Richter Max Roth hin. Hier sei der Schaden höher: „Es geht auch "
            "um das Vertrauen in die Echtheit des Geldes.“",
            "de",
            "Max Roth",
        ),
    ],
)
def test_a_quote_without_an_attribution_beside_it_takes_the_person_its_sentence_names(
    text: str, lang: str, speaker: str
) -> None:
    assert [q.speaker for q in find_quotes(text, lang)] == [speaker]


def test_an_unnamed_spokesperson_stays_unnamed() -> None:
    text = "Minister Eva Kern besuchte die Stadt. „Wir prüfen den Fall genau“, sagte eine Sprecherin."
    assert [q.speaker for q in find_quotes(text, "de")] == [None]


def test_a_quote_introduced_by_said_runs_on_into_the_next_paragraph() -> None:
    text = (
        "Inspector Tate said: “Officers received reports at 8.30pm of a man obstructing traffic.\n\n"
        "“It is understood damage has been caused to at least five vehicles.”"
    )
    quotes = find_quotes(text, "en")
    assert quotes[0].text.startswith("Officers received reports")
    assert quotes[0].speaker == "Tate"


def test_a_headline_quote_takes_the_person_the_headline_names_after_the_colon() -> None:
    text = (
        "„Das wichtigste Jahr unserer Firma“: Weber stellt neues Werk vor\n"
        "Die Gründerin Clara Weber eröffnet am Montag eine Fabrik in Kassel."
    )
    quote = find_quotes(text, "de")[0]
    assert quote.text == "Das wichtigste Jahr unserer Firma"
    assert quote.speaker == "Clara Weber"


def test_a_typewriter_single_quote_opens_a_headline_quote_but_an_apostrophe_does_not() -> None:
    text = "'We Don't Give Up Now': Workers Vote To Strike\nThe union's members voted on Friday."
    quotes = find_quotes(text, "en")
    assert [q.text for q in quotes] == ["We Don't Give Up Now"]


def test_a_single_quoted_span_inside_a_sentence_is_a_quote_when_it_closes() -> None:
    text = (
        "Rubio backs Orbán\n"
        "Trump is 'deeply committed to your success,' Secretary of State Marco Rubio told Viktor Orbán.\n\n"
        "It was the 'eighties, and rock 'n' roll ruled."
    )
    quotes = find_quotes(text, "en")
    assert [q.text for q in quotes] == ["deeply committed to your success"]
    assert quotes[0].speaker == "Marco Rubio"
    assert quotes[0].role == "Secretary of State"


def test_a_title_before_the_name_ends_no_sentence_so_the_quote_keeps_its_speaker() -> None:
    text = (
        "Toll rises\n"
        "Dr. Amir Parasta, an eye surgeon, prepared the report.\n\n"
        "“We are getting closer to reality,” Dr. Parasta said. “But I guess the real figures are higher.”"
    )
    quote = one(text, "en")
    assert quote.text.startswith("We are getting closer to reality")
    assert quote.text.endswith("the real figures are higher.")
    assert quote.speaker == "Amir Parasta"


def test_lower_case_words_before_a_role_belong_to_it() -> None:
    text = (
        "Fines\n"
        "“We are not here to impose fines,” the European Commission’s tech chief, Henna Virkkunen, said."
    )
    quote = one(text, "en")
    assert quote.speaker == "Henna Virkkunen"
    assert quote.role == "European Commission’s tech chief"
    text = (
        "Yunus steps down\n"
        "Bangladesh’s interim leader Muhammad Yunus stepped down on Monday.\n\n"
        "“Today, the interim government is stepping down,” the 85-year-old Nobel Peace Prize winner said."
    )
    quote = one(text, "en")
    assert (quote.speaker, quote.role) == ("Muhammad Yunus", "85-year-old Nobel Peace Prize winner")


def test_an_apposition_without_an_article_names_the_pronouns_referent() -> None:
    text = (
        "Calls grow\n"
        "Prime Minister Keir Starmer faces calls to resign.\n\n"
        "Anas Sarwar, leader of the Scottish Labour Party, urged Starmer to step down.\n\n"
        "“The distraction needs to end, and the leadership has to change,” he said."
    )
    assert one(text, "en").speaker == "Anas Sarwar"


def test_a_headline_colon_after_words_that_name_no_person_gives_no_speaker() -> None:
    text = (
        "Carney Hits Back as Relations Sour: ‘Canada Doesn’t Live Because of the U.S.’\n"
        "Canadian Prime Minister Mark Carney responded on Thursday."
    )
    quote = find_quotes(text, "en")[0]
    assert quote.text == "Canada Doesn’t Live Because of the U.S."
    assert quote.speaker is None


def test_a_name_its_apposition_then_the_speech_verb() -> None:
    text = (
        "Fear in Taiwan\n"
        "“I believe China wants to treat Taiwan next,” Mark Clifford, president of the Committee for "
        "Freedom in Hong Kong Foundation in the U.S., told TIME before the sentence."
    )
    assert one(text, "en").speaker == "Mark Clifford"


def test_a_pronoun_with_no_person_named_by_role_takes_the_last_full_name() -> None:
    text = (
        "Working week\n"
        "Rick Azevedo, a resident of Rio de Janeiro, had gone from job to job for 12 years. "
        "“When are we, the working class, going to start a revolution?” he said."
    )
    assert one(text, "en").speaker == "Rick Azevedo"
    text = (
        "Bronze für Krause\n"
        "In Doha hat Gesa Krause Bronze geholt. Die Läuferin vom Verein Silvesterlauf Trier wurde Dritte. "
        "„Ich habe alles aus mir herausgeholt“, sagte sie. Am Ende blieb Krause dran."
    )
    assert one(text, "de").speaker == "Gesa Krause"


@pytest.mark.parametrize(
    ("headline", "speaker"),
    [
        ("Maria Lopez criticises the port authority over delays", "Maria Lopez"),
        ("Port delays grow as talks stall", None),  # the headline opens with no person
    ],
)
def test_a_lead_role_written_in_lower_case_with_of_names_the_person_the_headline_opens_with(
    headline: str, speaker: str | None
) -> None:
    text = (
        f"{headline}\n"
        '"The ships have waited for weeks, and nobody explains why," the former minister of transport '
        "says."
    )
    (quote,) = find_quotes(text, "en")
    assert quote.role == "former minister of transport"
    assert quote.speaker == speaker


def test_a_title_case_headline_verb_and_role_find_the_person_the_lead_names_with_that_role() -> None:
    text = (
        "Glaciers Are 'Melting Faster Than Any Model Said,' Warns Leading Scientist\n"
        "Glaciers in the Alps lost a tenth of their ice in two years, leading glacier scientist "
        "Anna Berg told reporters on Monday."
    )
    quote = find_quotes(text, "en")[0]
    assert quote.text.startswith("Melting Faster")
    assert quote.speaker == "Anna Berg"


def test_a_possessive_inside_the_name_names_no_speaker() -> None:
    text = (
        "Harbour plan enters its second stage\n"
        "The city announced the start of President Maria Lopez’s Harbour plan on Monday, beginning the "
        "“dredging, rebuilding and reopening” of the old docks."
    )
    quote = find_quotes(text, "en")[-1]
    assert quote.text.startswith("dredging")
    assert quote.speaker is None


@pytest.mark.parametrize("ellipsis", ["...", "…"])
def test_a_quote_the_teaser_cuts_off_is_read_up_to_the_ellipsis(ellipsis: str) -> None:
    text = (
        "Rival accused of copying\n"
        "The company accused its rival of copying its work. “Their next model, whatever its form, "
        f"should be judged by how it was built{ellipsis}"
    )
    quote = find_quotes(text, "en")[-1]
    assert quote.text == "Their next model, whatever its form, should be judged by how it was built"


def test_an_unclosed_quote_before_more_text_is_no_quote() -> None:
    text = "Headline\nShe called it “a mistake that will cost us...\nThe council meets on Monday."
    assert find_quotes(text, "en") == []


INTERVIEW = (
    "Schwimmbad bleibt Thema im Gemeinderat\n"
    "Wir haben Bürgermeister Christian Holzemer gefragt, worum es in der Sitzung ging.\n"
    "Christian Holzemer: Zunächst mal war das keine Sitzung, sondern ein Workshop des Gemeinderates. "
    "Wir hatten ihn schon im vergangenen Jahr geplant.\n"
    "Warum tagte der Rat ohne Öffentlichkeit?\n"
    "Holzemer: Wir wollten erst alle auf den gleichen Stand bringen. Die Ergebnisse stellen wir vor.\n"
)


def test_an_interviews_answers_after_the_speakers_name_are_quotes() -> None:
    quotes = find_quotes(INTERVIEW, "de")
    assert [(q.text.split()[:3], q.speaker) for q in quotes] == [
        (["Zunächst", "mal", "war"], "Christian Holzemer"),
        (["Wir", "wollten", "erst"], "Christian Holzemer"),
    ]
    assert all(not q.fragment for q in quotes)


@pytest.mark.parametrize(
    "text",
    [
        # one `Name: …` line is a claim in the outlet's words, not an interview
        "Rathaus\nBürgermeister Christian Holzemer: Das Bad bleibt offen, sagt die Stadt.\n",
        # the labels name no person of the text: a dateline, a heading
        "Rathaus\nBerlin: Der Rat tagt am Montag wieder.\nFazit: Das Bad bleibt vorerst geöffnet.\n",
    ],
)
def test_a_colon_after_a_word_that_names_no_interviewed_person_makes_no_quote(text: str) -> None:
    assert find_quotes(text, "de") == []


@pytest.mark.parametrize(
    "text",
    [
        "Study\n“Labor productivity would be GDP growth,” Peter McCrory tells TIME.",
        "Study\n“Labor productivity would be GDP growth,” assuming labor supply stays fixed, Peter McCrory, "
        "the company’s head of economics, tells TIME.",
    ],
)
def test_the_outlet_a_speaker_tells_is_the_listener_not_the_speaker(text: str) -> None:
    assert one(text, "en").speaker == "Peter McCrory"


def test_two_capitalised_words_of_a_title_case_headline_are_no_full_name() -> None:
    text = (
        "Major Global Outage Impacts Amazon, Snapchat and Airline Websites\n"
        "AWS described the cause as “an underlying internal subsystem responsible for monitoring the "
        "health of our network,” Amazon said."
    )
    assert one(text, "en").speaker != "Impacts Amazon"


def test_a_pronoun_refers_to_the_person_mentioned_last_by_surname() -> None:
    text = (
        "Board unveiled\n"
        "President Donald Trump presented the board. Its members include President Vladimir Putin.\n\n"
        "Despite the concerns at Davos, Trump instead celebrated a new dawn for Gaza. "
        "“They have to give up their weapons,” he said."
    )
    assert one(text, "en").speaker == "Donald Trump"


def test_an_answer_without_a_full_stop_is_quoted_from_its_start_only() -> None:
    text = (
        "Rathaus\nBürgermeister Christian Holzemer sagte etwas.\n"
        + ("Holzemer: " + "Wort " * 20_000 + "\n") * 2
    )
    quotes = find_quotes(text, "de")
    assert [q.speaker for q in quotes] == ["Christian Holzemer"] * 2
    assert all(len(q.text) <= 3000 for q in quotes)
