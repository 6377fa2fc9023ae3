"""`bpmn-complaints dmn-tck DIR` runs DMN TCK folders: the shared level-2 and level-3 cases
(../shared/dmn-tck, from github.com/dmn-tck/tck) and any folder laid out the same way."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bpmn_complaints.cli import dmn_tck_command

TCK = Path(__file__).resolve().parents[1].parent / "shared" / "dmn-tck"
needs_tck = pytest.mark.skipif(not TCK.is_dir(), reason=f"the shared DMN TCK is not at {TCK}")


def _run(folder, *args):
    return CliRunner().invoke(dmn_tck_command, [str(folder), *args])


def _counts(output):
    match = re.search(r"(\d+) of (\d+) passed: (\d+) passed, (\d+) failed, (\d+) errors", output)
    assert match, output
    return [int(n) for n in match.groups()]


@needs_tck
def test_level_2_passes_at_least_114_of_116():
    result = _run(TCK / "compliance-level-2")
    passed, total, *_ = _counts(result.output)
    assert total == 116 and passed >= 114, result.output
    assert sum(line.startswith(("PASSED", "FAILED", "ERROR")) for line in result.output.splitlines()) == total


@needs_tck
def test_level_3_passes_at_least_95_percent():
    result = _run(TCK / "compliance-level-3", "--failures-only")
    passed, total, *_ = _counts(result.output)
    assert total > 1000 and passed >= 0.95 * total, result.output


MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="discount" namespace="x">
  <inputData id="i_tier" name="tier"><variable name="tier" typeRef="string"/></inputData>
  <decision id="d_discount" name="discount">
    <variable name="discount" typeRef="number"/>
    <informationRequirement><requiredInput href="#i_tier"/></informationRequirement>
    <decisionTable hitPolicy="COLLECT" aggregation="SUM">
      <input><inputExpression typeRef="string"><text>tier</text></inputExpression></input>
      <output name="discount" typeRef="number"/>
      <rule><inputEntry><text>"gold","silver"</text></inputEntry><outputEntry><text>10</text></outputEntry></rule>
      <rule><inputEntry><text>not("bronze")</text></inputEntry><outputEntry><text>5</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""
CASES = """<?xml version="1.0" encoding="UTF-8"?>
<testCases xmlns="http://www.omg.org/spec/DMN/20160719/testcase"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <modelName>discount.dmn</modelName>
  <testCase id="gold"><inputNode name="tier"><value xsi:type="xsd:string">gold</value></inputNode>
    <resultNode name="discount"><expected><value xsi:type="xsd:decimal">15</value></expected></resultNode></testCase>
  <testCase id="bronze"><inputNode name="tier"><value xsi:type="xsd:string">bronze</value></inputNode>
    <resultNode name="discount"><expected><value xsi:nil="true"/></expected></resultNode></testCase>
  <testCase id="wrong"><inputNode name="tier"><value xsi:type="xsd:string">tin</value></inputNode>
    <resultNode name="discount"><expected><value xsi:type="xsd:decimal">6</value></expected></resultNode></testCase>
</testCases>
"""


def test_any_tck_folder_runs_and_failures_are_named(tmp_path):
    (tmp_path / "0001-discount").mkdir()
    (tmp_path / "0001-discount" / "discount.dmn").write_text(MODEL)
    (tmp_path / "0001-discount" / "discount-test-01.xml").write_text(CASES)
    result = _run(tmp_path)
    assert result.exit_code == 1
    assert _counts(result.output) == [2, 3, 2, 1, 0]
    assert "FAILED 0001-discount/discount-test-01.xml wrong: discount: expected 6, got 5" in result.output
