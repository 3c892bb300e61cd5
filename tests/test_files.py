"""Keeping the work: save / load, atomic writes, autosave, undo / redo of every edit,
and no custom code from a file running without consent (issue #5)."""
import copy
import json
import os

import numpy as np
import pytest

from neuwidgets import NetworkBuilder, init
from neuwidgets.errors import InvalidValueError, NeuwidgetsError
from neuwidgets.spec import UNTRUSTED, NetworkSpec

from _designs import rich, ran, small, text, with_custom


def make(*args, **kwargs):
    return NetworkBuilder(*args, plots=False, **kwargs)


def temporary_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- save and load ---------------------------------------------------------------------------
def test_a_design_survives_save_and_load_exactly(tmp_path):
    builder = make(NetworkSpec.from_json(text(rich()), trust=True))
    builder.save(tmp_path / "design.json")
    saved = (tmp_path / "design.json").read_text()
    assert json.loads(saved) == builder.spec.data
    other = make()
    other.load(tmp_path / "design.json", trust=True)
    assert other.spec == builder.spec and other.errors == []
    assert other.network.n_parameters == builder.network.n_parameters == 218
    other.save(tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == saved
    assert temporary_files(tmp_path) == []


def test_save_keeps_the_source_of_custom_classes_typed_in_the_widget(tmp_path):
    builder = make(small())
    builder.set_initializer("a", "weight", "class Half(init.Initializer):\n"
                                           "    def sample(self, shape):\n        return 0.5 * tf.ones(shape)\n")
    builder.save(tmp_path / "d.json")
    data = json.loads((tmp_path / "d.json").read_text())
    assert "class Half" in data["custom"]["Half"]
    loaded = make()
    loaded.load(tmp_path / "d.json", trust=True)
    assert np.all(loaded.network.layer("a").variable("weight").numpy() == 0.5)


def test_load_errors_name_the_file_and_change_nothing(tmp_path):
    builder = make(small())
    before = builder.spec
    with pytest.raises(InvalidValueError, match=r"load: cannot read '.*missing\.json': No such file"):
        builder.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("not json")
    with pytest.raises(InvalidValueError, match="a design must be JSON text"):
        builder.load(tmp_path / "bad.json")
    (tmp_path / "future.json").write_text(json.dumps({**small(), "format": 3}))
    with pytest.raises(InvalidValueError, match="design.format is 3: newer than this neuwidgets reads"):
        builder.load(tmp_path / "future.json")
    assert builder.spec is before and builder.state["can_undo"] is False


def test_save_to_a_place_that_cannot_be_written(tmp_path):
    builder = make(small())
    with pytest.raises(InvalidValueError, match=r"save: cannot write '.*no-such-folder/d\.json'"):
        builder.save(tmp_path / "no-such-folder" / "d.json")
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(InvalidValueError, match=r"save: '.*folder\.json' is not a regular file"):
        builder.save(tmp_path / "folder.json")


# -- atomic save ---------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    builder = make(small())
    path = tmp_path / "design.json"
    builder.save(path)
    builder.add_layer("Relu", 7)
    return builder, path, path.read_text()


def test_a_failure_at_the_final_rename_leaves_the_old_file_whole(saved, monkeypatch):
    builder, path, old = saved

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InvalidValueError, match="cannot write .*No space left on device"):
        builder.save(path)
    assert path.read_text() == old
    assert NetworkSpec.from_json(path.read_text()) == NetworkSpec(small())


def test_a_failure_while_writing_leaves_the_old_file_whole(saved, monkeypatch):
    builder, path, old = saved

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(InvalidValueError, match="Input/output error"):
        builder.save(path)
    assert path.read_text() == old


def test_a_failure_while_serializing_leaves_the_old_file_whole(saved, monkeypatch):
    builder, path, old = saved
    monkeypatch.setattr(NetworkSpec, "to_json", lambda self, indent=2: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        builder.save(path)
    assert path.read_text() == old
    assert temporary_files(path.parent) == []


def test_a_failed_save_leaves_no_temporary_file(saved, monkeypatch):
    builder, path, _ = saved
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(InvalidValueError):
        builder.save(path)
    assert temporary_files(path.parent) == []


# -- autosave ------------------------------------------------------------------------------------
def test_autosave_writes_after_every_valid_edit_and_resumes_from_the_file(tmp_path):
    path = tmp_path / "autosave.json"
    builder = make(small(), autosave=path)
    assert NetworkSpec.from_json(path.read_text()) == builder.spec
    builder.add_layer("Tanh", 5, name="t")
    assert NetworkSpec.from_json(path.read_text()) == builder.spec
    builder.set_units("t", 6)
    builder.set_initializer("t", "bias", init.Constant(0.25))
    assert json.loads(path.read_text())["layers"][3]["parameters"]["bias"] == {
        "initializer": {"name": "Constant", "params": {"value": 0.25}}}
    after_valid = path.read_text()
    with pytest.raises(NeuwidgetsError):
        builder.set_units("t", -1)
    with pytest.raises(NeuwidgetsError):
        builder.link("t", "weight", "a")  # shapes differ: refused
    assert path.read_text() == after_valid
    builder.undo()
    assert NetworkSpec.from_json(path.read_text()) == builder.spec  # undo is an edit too
    resumed = make(autosave=path)  # starts from the file, not from the default design
    assert resumed.spec == builder.spec
    assert [layer.name for layer in resumed.network.layers] == ["in", "a", "b", "t"]


def test_autosave_with_custom_code_runs_it_only_with_trust(tmp_path):
    folder = tmp_path / "markers"
    folder.mkdir()
    path = tmp_path / "autosave.json"
    path.write_text(text(with_custom(folder)))
    builder = make(autosave=path)
    assert builder.errors[0]["message"].startswith(UNTRUSTED) and ran(folder) == []
    builder.set_units("b", 4)  # the autosave written by this edit keeps the custom code, still unrun
    assert "class Boom" in json.loads(path.read_text())["custom"]["Boom"] and ran(folder) == []
    trusted = make(autosave=path, trust=True)
    assert trusted.errors == [] and ran(folder) == ["defined", "sampled"]
    assert np.all(trusted.network.layer("a").variable("weight").numpy() == 0.5)


# -- undo / redo of every edit ---------------------------------------------------------------------
EDITS = {
    "add_layer": lambda b: b.add_layer("Sigmoid", 4, name="s"),
    "add_layer at an index": lambda b: b.add_layer("Dropout", index=1, proba=0.2),
    "remove_layer": lambda b: b.remove_layer("a"),
    "move_layer": lambda b: b.move_layer("b", 1),
    "set_units": lambda b: b.set_units("a", 7),
    "set_input_shape": lambda b: b.set_input_shape("6"),
    "set_initializer": lambda b: b.set_initializer("a", "weight", init.Orthogonal(scale=2.0)),
    "set_initializer with code": lambda b: b.set_initializer(
        "b", "bias", "class Tiny(init.Initializer):\n    def sample(self, shape):\n        return tf.zeros(shape)\n"),
    "remove the bias": lambda b: b.set_initializer("b", "bias", None),
    "link": lambda b: b.link("c", "weight", "b"),
    "unlink": (lambda b: b.link("c", "weight", "b"), lambda b: b.unlink("c", "weight")),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_every_edit_can_be_undone_and_redone(edit, tmp_path):
    data = small()
    data["layers"].append({**copy.deepcopy(data["layers"][2]), "name": "c"})
    data["layers"][3]["parameters"]["weight"] = {"initializer": {"name": "Normal", "params": {"std": 0.3}}}
    builder = make(data)
    setup, change = EDITS[edit] if isinstance(EDITS[edit], tuple) else (lambda b: None, EDITS[edit])
    setup(builder)
    before, before_params = builder.spec, builder.network.n_parameters
    change(builder)
    after, after_params = builder.spec, builder.network.n_parameters
    assert after != before
    builder.undo()
    assert builder.spec == before and builder.network.n_parameters == before_params
    assert builder.state["can_redo"] is True
    builder.redo()
    assert builder.spec == after and builder.network.n_parameters == after_params
    assert [layer.name for layer in builder.network.layers] == [e["name"] for e in after.layers]


def test_load_is_undoable(tmp_path):
    (tmp_path / "d.json").write_text(text(rich()))
    builder = make(small())
    before = builder.spec
    builder.load(tmp_path / "d.json", trust=True)
    assert builder.spec == NetworkSpec({**rich(), "seed": builder.seed})  # the builder seeds a design without one
    builder.undo()
    assert builder.spec == before
    with pytest.raises(InvalidValueError, match="nothing to undo"):
        builder.undo()


# -- consent: a file's custom code never runs unless trusted -------------------------------------------
def test_custom_code_from_a_file_runs_only_with_consent(tmp_path):
    folder = tmp_path / "markers"
    folder.mkdir()
    path = tmp_path / "design.json"
    path.write_text(text(with_custom(folder)))

    spec = NetworkSpec.from_json(path.read_text())
    builder = make(json.loads(path.read_text()))          # a design dict
    other = make()
    other.load(path)                                        # a file
    for each in (builder, other):
        each._publish()
        layer = each.state["layers"][1]
        weight = layer["parameters"][0]
        assert weight["trusted"] is False and weight["error"].startswith(f"{UNTRUSTED} 'Boom'")
        assert weight["initializer"] == {"name": "Boom", "params": {"scale": 0.5}}
        assert "class Boom" in each.spec.data["custom"]["Boom"]
        assert each.to_code().count("class Boom") == 1
        each.save(tmp_path / "copy.json")
        each.set_units("b", 5)                              # later edits do not run it either
    assert "class Boom" in spec.to_code() and "class Boom" in spec.to_code("keras")
    assert ran(folder) == []

    other.trust()
    assert ran(folder) == ["defined", "sampled"] and other.errors == []
    assert other.state["layers"][1]["parameters"][0]["trusted"] is True
    assert np.all(other.network.layer("a").variable("weight").numpy() == 0.5)
    for name in ran(folder):
        (folder / name).unlink()
    builder.load(path, trust=True)
    assert ran(folder) == ["defined", "sampled"]


def test_untrusted_code_is_in_the_state_for_the_person_to_read(tmp_path):
    builder = make(with_custom(tmp_path))
    assert "class Boom" in (builder.state["layers"][1]["parameters"][0]["code"] or "")
    assert ran(tmp_path) == []


def test_a_session_class_of_the_same_name_does_not_stand_in_for_a_designs_code(tmp_path):
    class Boom(init.Initializer):  # defined in this session, like a notebook cell's class
        def __init__(self, scale=0.5):
            self.scale = scale

        def sample(self, shape):
            return np.full(shape, 7.0)

    design = tmp_path / "design.json"
    design.write_text(json.dumps(with_custom(tmp_path)))
    builder = make()
    builder.load(design)
    assert ran(tmp_path) == [] and Boom is not None
    assert builder.errors[0]["message"].startswith("untrusted custom initializer 'Boom'")
    builder.trust()
    assert ran(tmp_path) == ["defined", "sampled"]
    assert float(builder.network.layer("a").variable("weight").numpy().mean()) == 0.5  # the design's code, not 7


def test_save_writes_through_links_keeps_permissions_and_refuses_what_is_not_a_file(tmp_path):
    builder = make()
    target = tmp_path / "design.json"
    target.write_text("{}")
    target.chmod(0o644)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    builder.save(link)
    assert link.is_symlink() and NetworkSpec.from_json(target.read_text()) == builder.spec
    assert target.stat().st_mode & 0o777 == 0o644
    os.mkfifo(tmp_path / "pipe")
    for bad, message in ((tmp_path / "pipe", "is not a regular file"), (tmp_path, "is not a regular file"),
                         ("", "expected a file path, got ''"), (None, "expected a file path, got None")):
        with pytest.raises(NeuwidgetsError, match=message):
            builder.save(bad)
    assert temporary_files(tmp_path) == []


def test_load_refuses_a_binary_file(tmp_path):
    binary = tmp_path / "weights.bin"
    binary.write_bytes(bytes(range(256)))
    builder = make()
    with pytest.raises(NeuwidgetsError, match="is not a text file; expected a JSON design"):
        builder.load(binary)


def test_an_existing_autosave_file_wins_and_says_so(tmp_path):
    path = tmp_path / "design.json"
    make(autosave=path).add_layer("Relu", 3, name="kept")
    builder = make(small(), autosave=path)
    assert "kept" in [layer.name for layer in builder.network.layers]
    assert builder.notice["message"].startswith(f"started from the autosave file {str(path)!r}; the dict given "
                                                "was not used")
