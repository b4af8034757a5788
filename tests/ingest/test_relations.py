"""Relations found at ingest: real orders of the demo corpus, and the catalog that keeps them in step."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.catalog import RELATIONS_META, Catalog, FileEntry
from ingest.loaders import load_file
from ingest.records import Document
from ingest.dates import parse_date
from ingest.relations import RELATIONS_VERSION, extract_relations, own_identifier

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
APRIL = "eo2025/04-April"


def demo_document(name: str) -> Document:
    path = next(DEMO.rglob(f"*{name}.md"))
    return load_file(path, str(path.relative_to(DEMO)))[0]


def found(document: Document) -> set[tuple[str, str | None]]:
    return {(r.relation, r.target_number or r.target_date) for r in extract_relations(document)}


def test_a_revocation_list_gives_one_relation_per_order_each_quoted_verbatim():
    document = demo_document("14148")
    relations = extract_relations(document)
    revoked = {r.target_number for r in relations if r.relation == "revokes"}
    assert {"13985", "13986", "13990", "14029"} <= revoked
    for relation in relations:
        quote = document.text[relation.start:relation.end]
        assert relation.target_number is None or relation.target_number in quote


def test_the_sentence_that_suspends_is_found_with_its_effective_date():
    document = demo_document("14266")
    suspension = [r for r in extract_relations(document) if r.relation == "suspends"]
    assert [(r.target_number, r.effective) for r in suspension] == [("14257", "2025-04-10")]
    assert "is suspended until" in document.text[suspension[0].start:suspension[0].end]


def test_the_tariff_chain_on_chinese_goods_is_found_with_the_dates_each_change_takes_effect():
    # 14259 raised the rate set by 14257 "pursuant to section 4(b)" of it, from April 9 (the May 2 date it
    # recalls from 14256 is not its own); 14266 raised it again from April 10
    assert {(r.relation, r.target_number, r.effective) for r in extract_relations(demo_document("14259"))
            if r.target_number == "14257"} == {("modifies", "14257", "2025-04-09")}
    assert {(r.relation, r.effective) for r in extract_relations(demo_document("14266"))
            if r.target_number == "14257"} == {("modifies", "2025-04-10"), ("suspends", "2025-04-10")}


def test_a_long_sentence_is_quoted_around_the_order_it_names_to_the_end_of_its_clause():
    # 14266's sentence runs to 500 characters: its quote stops at the clause's ";", not mid-figure at "to 120"
    document = demo_document("14266")
    modifies = [r for r in extract_relations(document) if r.relation == "modifies" and "from 90 percent" in
                document.text[r.start:r.end]]
    assert modifies and document.text[modifies[0].start:modifies[0].end].endswith("from 90 percent to 120 percent;")
    assert modifies[0].end - modifies[0].start < 500


def test_a_list_takes_the_date_of_effect_its_opening_gives():
    text = ("### Section 5. (a) Effective October 1, 1981, the following Executive Orders are revoked:\n\n"
            "(1) Executive Order No. 11331 of March 6, 1967.\n\n(2) Executive Order No. 11345 of April 20, 1967.\n\n"
            "(b) Effective January 1, 1982, Executive Order No. 11659, as amended, is revoked.")
    relations = extract_relations(Document(source="x.md", text=text, title="Executive Order 12319: Test"))
    assert {(r.target_number, r.effective) for r in relations} == {
        ("11331", "1981-10-01"), ("11345", "1981-10-01"), ("11659", "1982-01-01")}


def test_background_mentions_and_as_amended_by_are_not_relations():
    # 14266 recalls "In the Executive Order dated April 8, 2025 ..., I ordered" and "as modified by": no change made
    assert ("modifies", "2025-04-08") not in found(demo_document("14266"))
    assert ("amends", "2025-04-08") not in found(demo_document("14266"))
    # 14215 amends 12866 "as amended": the orders named only in the history of 12866 are not targets
    assert found(demo_document("14215")) >= {("amends", "12866")}
    text = ("Executive Order 10450 of April 27, 1953, as amended by Executive Order 10491 of October 13, 1953, is "
            "hereby revoked. In Executive Order 12345 I declared an emergency.")
    assert found(Document(source="x.md", text=text, title="Executive Order 11111: Test")) == {("revokes", "10450")}


def test_words_inside_quotation_marks_and_parenthetical_titles_are_not_acted_on():
    text = ('Section 2 of Executive Order 11861 is amended by inserting "Executive Order 12000 is revoked" after '
            '"Board". (a) Executive Order 13672 of July 21, 2014 (Further Amendments to Executive Order 11478) is '
            "hereby revoked.")
    assert found(Document(source="x.md", text=text)) == {("amends", "11861"), ("revokes", "13672")}


def test_each_order_gets_the_change_the_sentence_makes_to_it():
    text = "Executive Order 13318 of November 21, 2003, is revoked and Executive Order 13562 is amended as follows:"
    assert found(Document(source="x.md", text=text, title="Executive Order 14217: Test")) == {("revokes", "13318"), ("amends", "13562")}


def test_a_list_after_the_following_are_revoked_is_read_item_by_item():
    text = ("Sec. 2. The following are hereby revoked:\n\n(a) Executive Order 12072 of August 16, 1978;\n\n"
            "(b) the committee established by the Secretary;\n\n(c) Executive Order No 13006 of May 21, 1996.\n\n"
            "Sec. 3. Executive Order 9000 governs the rest.")
    assert found(Document(source="x.md", text=text)) == {("revokes", "12072"), ("revokes", "13006")}


def test_an_order_never_acts_on_itself_and_identifies_by_its_title():
    assert own_identifier("Executive Order 14257: Regulating Imports") == ("executive_order", "14257")
    assert own_identifier("Proclamation 9705—Adjusting Imports of Steel") == ("proclamation", "9705")
    assert own_identifier("A news article") is None
    text = "Executive Order 14000 is hereby amended by adding a section. This order supersedes Executive Order 9999."
    document = Document(source="x.md", text=text, title="Executive Order 14000: Test")
    assert found(document) == {("supersedes", "9999")}
    assert parse_date("April 10, 2025") == "2025-04-10" and parse_date("Smarch 40, 2025") is None


def _commit(catalog: Catalog, *documents: Document) -> None:
    entries = [(FileEntry(d.source, "/root", f"/root/{d.source}", d.content_hash, len(d.text), 0, time.time()), [(d, [])])
               for d in documents]
    catalog.commit_files(entries)


def test_the_catalog_keeps_relations_in_step_with_ingest_and_removal(tmp_path, monkeypatch):
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    original, later = demo_document("14257"), demo_document("14266")
    _commit(catalog, original, later)
    assert catalog.get_meta(RELATIONS_META) == RELATIONS_VERSION
    onto = catalog.relations_onto(original.source)
    assert {(r.source, r.relation) for r in onto} >= {(later.source, "suspends")}
    assert catalog.sources_numbered("executive_order", "14257") == [original.source]

    catalog.remove_files([later.source])
    assert catalog.relations_onto(original.source) == [] and catalog.relations_from(later.source) == []

    # a store from before relations (or an older extractor) finds them once, from the stored texts
    _commit(catalog, later)
    catalog.conn.execute("DELETE FROM relations")
    catalog.set_meta(RELATIONS_META, "0")
    assert catalog.refresh_relations() == 2
    assert catalog.relations_onto(original.source)
    calls = []
    monkeypatch.setattr("ingest.catalog.extract_relations", lambda d: calls.append(d) or [])
    assert catalog.refresh_relations() == 0 and calls == []


def test_a_failed_commit_leaves_the_relations_as_they_were(tmp_path, monkeypatch):
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    original, later = demo_document("14257"), demo_document("14266")
    _commit(catalog, original, later)
    before = catalog.relations_from(later.source)
    broken = Document(source=later.source, text=later.text + " Executive Order 12072 is hereby revoked.",
                      title=later.title)
    monkeypatch.setattr(Catalog, "_bump", staticmethod(lambda conn: (_ for _ in ()).throw(OSError("disk full"))))
    with pytest.raises(OSError):
        _commit(catalog, broken)
    assert catalog.relations_from(later.source) == before


@pytest.mark.parametrize("text, expected", [
    # "also" between the verb's parts; a list that keeps "as amended" beside one of its orders
    ("Executive Order 13853 of December 12, 2018 (Establishing a Council), is also revoked.", {("revokes", "13853")}),
    ("Executive Orders No. 12044, as amended, and No. 12174 are revoked.", {("revokes", "12044"), ("revokes", "12174")}),
    # an order kept as it was
    ("(b) Executive Order 13694 of April 1, 2015, as amended by Executive Order 13757 of December 28, 2016, remains "
     "in effect.", {("continues", "13694")}),
    # ... but not the order's own section that "remains in effect"
    ("Any provision of Executive Order No. 10480, as amended, which is inconsistent with such authority is hereby "
     "suspended for so long as this Section remains in effect.", {("suspends", "10480")}),
    # amendments to what an order prescribed: the Manual for Courts-Martial, regulations
    ("In order to prescribe amendments to the Manual for Courts-Martial, United States, prescribed by Executive Order "
     "12473, as amended, it is hereby ordered as follows:", {("amends", "12473")}),
    # the national emergency an order declared, widened; the orders that only addressed it are not acted on
    ("I hereby expand the scope of the national emergency declared in Executive Order 13873 of May 15, 2019, and "
     "further addressed with additional measures in Executive Order 14034 of June 9, 2021.", {("extends", "13873")}),
    ("SEC. 7. The Ryukyu Islands are removed from the applicability of Executive Order No. 10854 of November 27, "
     "1959.", {("modifies", "10854")}),
    # a rate an order set, changed; the order that changed it before is only its history
    ("(a) increase the ad valorem rate of duty set forth in section 2(c)(i) of Executive Order 14256 of April 2, "
     "2025, as modified by the Executive Order dated April 8, 2025, from 90 percent to 120 percent;",
     {("modifies", "14256")}),
    # an order named as the one this order modifies
    ("All such articles shall be subject to the terms of, and except as otherwise provided in, Executive Order "
     "14257, as modified by this order.", {("modifies", "14257")}),
    # acting under an order's own power to modify it, not citing it
    ("Pursuant to section 4(c) of Executive Order 14257, I have determined that it is necessary to address the "
     "emergency by modifying the HTSUS to suspend the increase.", {("modifies", "14257")}),
    ("Pursuant to section 3 of Executive Order 12333, I hereby direct the Director to report.", set()),
    # a preamble recalls; it acts on nothing
    ("WHEREAS by Proclamation No. 2914 of December 16, 1950, I proclaimed a national emergency, which was extended "
     "by the Congress and is suspended as to some ports; and", set()),
    # (twentieth session, from the misses of r5 + r6) a noun acts on what follows it only
    ("**Amendments to Executive Orders 12824, 12835, and 13532, and Revocation of Executive Order 13507**",
     {("amends", "12824"), ("amends", "12835"), ("amends", "13532"), ("revokes", "13507")}),
    # a change denied, a state kept, an emergency named only for its duration, an order excluded
    ("(c) Nothing in this order shall supersede, impede, or otherwise affect the remainder of Executive Order 12968 "
     "of August 2, 1995, as amended.", set()),
    ("The Presidential Memorandum of March 23, 2018, is hereby revoked, and the Presidential Memorandum of August "
     "25, 2017, remains revoked.", {("revokes", "2018-03-23")}),
    ("Such examinations are hereby suspended for the duration of the national emergency proclaimed by Proclamation "
     "No. 2914 of December 16, 1950.", set()),
    ("Exclusive of Executive Order No. 10952 of July 20, 1961, all prior Executive orders are superseded to the "
     "extent inconsistent with this order.", set()),
    # the orders that widened an emergency before are its history
    ("I hereby expand the scope of the national emergency declared in Executive Order 13660 of March 6, 2014, and "
     "expanded by Executive Order 13661 of March 16, 2014, and Executive Order 13662 of March 20, 2014.",
     {("extends", "13660")}),
    # a title's number run into the next word still is its number
    ("Executive Order 13803Reviving the National Space Council is amended by adding a section.", {("amends", "13803")}),
])
def test_the_formulaic_ways_orders_change_other_orders(text, expected):
    assert found(Document(source="x.md", text=text, title="Executive Order 11111: Test")) == expected


def test_an_order_number_with_a_letter_after_it_is_not_that_number():
    text = "(b) Executive Order No. 980a of November 25, 1946, is revoked."
    assert ("revokes", "980") not in found(Document(source="x.md", text=text, title="Executive Order 11111: Test"))


def test_a_title_that_states_the_change_gives_it_when_the_text_does_not_name_the_order():
    text = ("# Executive Order 13741: Amending Executive Order 13467 To Establish the Bureau\n\n"
            "**Amending Executive Order 13467 To Establish the Bureau**\n\n"
            "Sec. 1. (b) Section 1.1 is amended to read as follows: ...\n")
    document = Document(source="x.md", text=text,
                        title="Executive Order 13741: Amending Executive Order 13467 To Establish the Bureau")
    [relation] = extract_relations(document)
    assert (relation.relation, relation.target_number) == ("amends", "13467")
    assert text[relation.start:relation.end] == "Amending Executive Order 13467 To Establish the Bureau"
    assert relation.start > text.index("\n")  # the heading in the text, not the title line the reader skips
    plain = Document(source="y.md", text="Sec. 1. The Council is continued.", title="Executive Order 11111: Council")
    assert extract_relations(plain) == []


def test_a_title_whose_number_is_a_typo_of_the_texts_gives_way_to_the_text():
    title = "Executive Order 10515—Amendment of Executive Order No. 10739 of August 2, 1952, Suspending Provisions"
    text = (f"# {title}\n\nExecutive Order No. 10379 of August 2, 1952, entitled \"Suspension\", is hereby amended by "
            "striking out the date.\n")
    assert found(Document(source="x.md", text=text, title=title)) == {("amends", "10379")}
    both = "Executive Order 13463: Amending Executive Orders 13389 and 13390"
    text = f"# {both}\n\nSection 1. Executive Order 13390 is amended by striking section 2.\n"
    assert found(Document(source="y.md", text=text, title=both)) == {("amends", "13389"), ("amends", "13390")}
