"""The TRIPOD+AI checklist: every item once, and every link lands in the report."""

import re
from pathlib import Path

from pipeline.presentation.checklist import ITEMS, checklist_table

REPORT_SOURCE = Path(__file__).resolve().parents[2] / "report" / "report.qmd"


def test_every_one_of_the_27_items_is_there_once_in_order():
    numbers = [item for item, *_ in ITEMS]
    assert len(numbers) == len(set(numbers))
    mains = [int(re.match(r"\d+", item).group()) for item in numbers]
    assert sorted(set(mains)) == list(range(1, 28)) and mains == sorted(mains)


def test_a_link_names_an_anchor_of_the_report_source():
    anchors = set(re.findall(r'<a id="([\w-]+)"></a>', REPORT_SOURCE.read_text()))
    links = {where[1:] for *_, where in ITEMS if where.startswith("#")} - {"external-validation"}
    assert links <= anchors, links - anchors


def test_without_an_external_cohort_the_comparison_items_are_the_authors():
    table = checklist_table(external_validation=False)
    assert not table["where"].str.contains("#external-validation").any()
    assert set(table["status"]) <= {"report", "partly", "authors", "not applicable"}
    with_external = checklist_table(external_validation=True).set_index("item")
    assert with_external.loc["20c", "where"] == "#external-validation"
