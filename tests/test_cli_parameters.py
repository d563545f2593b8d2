"""``kernelnet run -p NAME VALUE``: values parsed by the chapter's declared types (issue 20).

``bool("false")`` is True, so ``-p QUICK false`` once ran the quick build; ``--quick -p QUICK
False`` quietly ran the full one. The notebook is never executed here: ``execute_notebook`` is
replaced by a recorder, so these tests check what *would* run.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from kernelnet import build, cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture
def ran(monkeypatch):
    """Replace execute_notebook; the list receives (notebook stem, quick, parameters)."""
    calls = []

    def fake(path, out_dir, *, quick=True, parameters=None, **kw):
        calls.append((Path(path).stem, quick, dict(parameters or {})))
        return build.ExecutionRecord(Path(path).stem, str(out_dir), {}, 0.0, True)

    monkeypatch.setattr(build, "execute_notebook", fake)
    return calls


@pytest.mark.parametrize("word,quick", [("false", False), ("False", False), ("0", False),
                                        ("no", False), ("true", True), ("TRUE", True),
                                        ("1", True), ("yes", True)])
def test_quick_words(ran, tmp_path, word, quick):
    assert cli.main(["run", "hsic", "-p", "QUICK", word, "--output", str(tmp_path)]) == 0
    assert ran == [("00_hsic", quick, {})]


def test_quick_false_with_quick_flag_is_one_clear_conflict(ran, tmp_path, capsys):
    assert cli.main(["run", "hsic", "--quick", "-p", "QUICK", "False",
                     "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--quick and -p QUICK False contradict" in err[0]
    assert ran == []
    # consistent settings are fine
    assert cli.main(["run", "hsic", "--quick", "-p", "QUICK", "true",
                     "--output", str(tmp_path)]) == 0
    assert ran == [("00_hsic", True, {})]


@pytest.mark.parametrize("args,message", [
    (["-p", "QUICK", "maybe"], "parameter QUICK must be true or false, got 'maybe'"),
    (["-p", "SEED", "1.5"], "parameter SEED must be an integer, got '1.5'"),
    (["-p", "SEED", "True"], "parameter SEED must be an integer, got 'True'"),
    (["-p", "SEED", "-3"], "parameter SEED must be a non-negative integer"),
    (["-p", "SEED", "1", "-p", "SEED", "2"], "parameter SEED is given twice"),
    (["-p", "SEEED", "1"], "unknown parameter(s) SEEED"),
])
def test_bad_values_exit_2_in_one_line(ran, tmp_path, capsys, args, message):
    assert cli.main(["run", "hsic", *args, "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert ran == []


def test_typed_values_reach_the_notebook(ran, tmp_path):
    assert cli.main(["run", "02", "-p", "DATASET", "iris", "-p", "N_LAYERS", "3",
                     "-p", "SEED", "7", "--output", str(tmp_path)]) == 0
    stem, quick, params = ran[0]
    assert quick is False and params == {"DATASET": "iris", "N_LAYERS": 3, "SEED": 7}
    assert type(params["N_LAYERS"]) is int


@pytest.mark.parametrize("output", ["/proc/kernelnet-no", "/dev/null/sub"])
def test_unusable_output_folder_is_one_line(ran, capsys, output):
    assert cli.main(["run", "hsic", "--quick", "--output", output]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"kernelnet: cannot use output folder {output}")
    assert ran == []


def _notebook(path: Path, parameters: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# test chapter"),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from kernelnet.experiments import hsic as chapter\n"
            "from kernelnet.figures import setup_notebook\n"
            "P = setup_notebook('99_t', declared=chapter.PARAMETERS, QUICK=QUICK, SEED=SEED)"),
    ]
    nbformat.write(nb, path)
    return path


def test_parse_parameters_uses_the_chapter_declaration(tmp_path):
    nb = _notebook(tmp_path / "99_t.ipynb",
                   "QUICK = False\nSEED = 0\nN = None\nAGREEMENT_SIZES = None\n"
                   "RATE = 0.5\nNAME = 'wine'\nFREE = None")
    types = build.parameter_types(nb)
    assert types["N"][0] == (int,) and types["N"][1] is not None  # from hsic.PARAMETERS
    assert types["RATE"][0] == (float,) and types["NAME"][0] == (str,)
    assert types["FREE"][0] is None
    got = build.parse_parameters(nb, {"N": "50", "AGREEMENT_SIZES": "100,300", "RATE": "2",
                                      "NAME": "iris", "FREE": "[1, 2]", "QUICK": "no"})
    assert got == {"N": 50, "AGREEMENT_SIZES": (100, 300), "RATE": 2.0, "NAME": "iris",
                   "FREE": [1, 2], "QUICK": False}
    assert build.parse_parameters(nb, {"N": "None"}) == {"N": None}  # the chapter default
    with pytest.raises(ValueError, match="parameter N has a bad value 5"):  # check: n >= 10
        build.parse_parameters(nb, {"N": "5"})
    with pytest.raises(ValueError, match="parameter AGREEMENT_SIZES must be a tuple"):
        build.parse_parameters(nb, {"AGREEMENT_SIZES": "lots"})
    with pytest.raises(ValueError, match="parameter RATE must be a finite number, got 'inf'"):
        build.parse_parameters(nb, {"RATE": "inf"})
