"""Design values become data, never code: not at load, not in exported scripts.

Every string of a design (keys and values, the custom code itself aside) is replaced by
injection payloads. Each variant is either refused when read, or exported to both targets
with a script whose code is exactly that of the untouched design: only string literals
differ. A few accepted variants are run for real and leave no marker behind.
"""
import ast
import builtins
import json
import os
import subprocess
import symtable
import sys

import pytest

from _designs import GAMMA, rich
from neuwidgets import NetworkBuilder, init
from neuwidgets.errors import InvalidTypeError, NeuwidgetsError
from neuwidgets.layers import KINDS
from neuwidgets.spec import NetworkSpec, compile_initializer
from neuwidgets.spec.code import SCRIPT_NAMES

PAYLOADS = [
    "a=__import__('os').system('touch PWNED'), b",
    "x'); __import__('os').system('touch PWNED'); ('",
    '"""\n__import__("os").system("touch PWNED")\n"""',
    "\n__import__('os').system('touch PWNED')\n",
    "Gamma(); import os; os.system('touch PWNED') #",
    "<img src=x onerror=alert(1)>",
    "\ud800",
    "",
]


def string_places(value, path=()):
    """Paths (tuples of keys) of every string key and string value in ``value``; ``custom``
    code texts are code by definition (they run only when trusted) and are left out."""
    if isinstance(value, dict):
        for key, item in value.items():
            if path == ("custom",):
                yield path + (("key", key),)
                continue
            yield path + (("key", key),)
            yield from string_places(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_places(item, path + (index,))
    elif isinstance(value, str):
        yield path


def replaced(data, place, payload):
    data = json.loads(json.dumps(data))
    *parents, last = place
    holder = data
    for part in parents:
        holder = holder[part]
    if isinstance(last, tuple):  # a key
        holder[payload] = holder.pop(last[1])
    else:
        holder[last] = payload
    return data


def code_shape(script):
    """The script's syntax tree with every string literal blanked: what it does, not its data."""
    tree = ast.parse(script)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


NOTED_GAMMA = GAMMA.replace("seed=None):", "seed=None, note=''):").replace(
    "self.alpha, self.scale, self.seed = alpha, scale, seed",
    "self.alpha, self.scale, self.seed, self.note = alpha, scale, seed, note")


def noted(note="a note"):
    """``rich()`` whose custom initializer also takes free text (``note``)."""
    design = rich()
    layer = next(entry for entry in design["layers"] if entry["name"] == "h")
    layer["parameters"]["weight"]["initializer"]["params"]["note"] = note
    design["custom"]["Gamma"] = NOTED_GAMMA
    return design


@pytest.fixture(scope="module")
def baseline():
    spec = NetworkSpec(noted(), trust=True)
    return {target: code_shape(spec.to_code(target)) for target in ("neuwidgets", "keras")}


def test_every_string_field_holding_a_payload_is_refused_or_stays_a_string_literal(baseline):
    design = noted()
    places = list(string_places(design))
    assert len(places) > 80  # names, kinds, links, initializer names and parameters, custom keys
    tried = refused = exported = 0
    for place in places:
        for payload in PAYLOADS:
            tried += 1
            try:
                spec = NetworkSpec(replaced(design, place, payload), trust=True)
                scripts = {target: spec.to_code(target) for target in ("neuwidgets", "keras")}
            except NeuwidgetsError as exc:
                refused += 1
                assert len(str(exc)) < 400, str(exc)
                continue
            exported += 1
            for target, script in scripts.items():
                assert code_shape(script) == baseline[target], (place, payload, target)
    assert tried == refused + exported and exported > 0 and refused > 0


def test_accepted_payloads_run_as_data_in_both_exported_scripts(tmp_path):
    """Strings a design may hold freely (a custom initializer's text parameters) are passed
    as strings: the scripts run and no payload runs."""
    spec = NetworkSpec(noted(PAYLOADS[1]), trust=True)
    runner = "\n".join(["import runpy, sys", "for path in sys.argv[1:]:", "    runpy.run_path(path)", "print('RAN')"])
    paths = []
    for target in ("neuwidgets", "keras"):
        path = tmp_path / f"exported_{target}.py"
        path.write_text(spec.to_code(target))
        paths.append(str(path))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "-c", runner, *paths], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and "RAN" in run.stdout, run.stderr[-3000:]
    assert not (tmp_path / "PWNED").exists()


SHADOWS = ["Tanh", "Input", "Convolution", "init", "keras", "x", "sharing", "TiedDense", "FixedValues", "FromNeuwidgets", "np", "tf",
           "network", "model", "join", "layers", "Transposed", "leaky_relu", "print", "tuple", "HeNormal"]


@pytest.mark.parametrize("name", SHADOWS)
def test_a_custom_class_that_shadows_a_name_the_scripts_use_is_refused(name):
    design = rich()
    design["custom"] = {name: GAMMA.replace("class Gamma", f"class {name}")}
    design["layers"][5]["parameters"]["weight"]["initializer"]["name"] = name
    message = f"custom initializer class '{name}' has the name of something exported code uses"
    with pytest.raises(NeuwidgetsError, match=message):
        NetworkSpec(design, trust=True)
    with pytest.raises(NeuwidgetsError, match=message):
        compile_initializer(GAMMA.replace("class Gamma", f"class {name}"))
    builder = NetworkBuilder(plots=False)
    before = builder.spec
    with pytest.raises(NeuwidgetsError, match=message):
        builder.set_initializer("sigmoid-1", "weight", GAMMA.replace("class Gamma", f"class {name}"))
    assert builder.spec is before


def test_a_notebook_class_that_shadows_a_script_name_is_refused_when_it_enters_a_design():
    namespace = {"init": init}
    exec("class Tanh(init.Initializer):\n    def sample(self, shape):\n        return [0.0]\n", namespace)
    builder = NetworkBuilder(plots=False)
    with pytest.raises(NeuwidgetsError, match="class 'Tanh' has the name of something exported code uses"):
        builder.set_initializer("sigmoid-1", "weight", namespace["Tanh"]())


def test_every_global_name_of_the_exported_scripts_is_reserved():
    """If an export starts using a new global name, SCRIPT_NAMES must list it (or a custom
    class could take it and break the script)."""
    reserved = SCRIPT_NAMES | set(KINDS) | set(init.BUILTINS) | set(dir(builtins))
    spec = NetworkSpec(rich(), trust=True)
    custom = set()
    for table in _tables(symtable.symtable(GAMMA, "<custom>", "exec")):
        custom |= {symbol.get_name() for symbol in table.get_symbols() if symbol.is_global() or table.get_type() == "module"}
    for target in ("neuwidgets", "keras"):
        names = set()
        for table in _tables(symtable.symtable(spec.to_code(target), target, "exec")):
            names |= {symbol.get_name() for symbol in table.get_symbols()
                      if table.get_type() == "module" or symbol.is_global()}
        assert names - custom - {"Gamma"} <= reserved, names - custom - reserved


def _tables(table):
    yield table
    for child in table.get_children():
        yield from _tables(child)


@pytest.mark.parametrize("value", ["false", "no", 0, 1, None, "True"])
def test_trust_must_be_a_real_bool_everywhere(value, tmp_path):
    design = json.dumps(rich())
    (tmp_path / "d.json").write_text(design)
    for attempt in (lambda: NetworkSpec(rich(), trust=value),
                    lambda: NetworkSpec.from_json(design, trust=value),
                    lambda: NetworkBuilder(rich(), trust=value, plots=False),
                    lambda: NetworkBuilder(plots=False).load(tmp_path / "d.json", trust=value)):
        with pytest.raises(InvalidTypeError, match=f"trust must be True or False, got {value!r}"):
            attempt()


def test_parameter_names_of_a_custom_initializer_must_be_identifiers():
    design = rich()
    design["layers"][5]["parameters"]["weight"]["initializer"]["params"] = {PAYLOADS[0]: 1}
    with pytest.raises(NeuwidgetsError, match="Gamma parameter names must be Python identifiers, got \"a=__import"):
        NetworkSpec(design, trust=True)
    design["layers"][5]["parameters"]["weight"]["initializer"]["params"] = {"class": 1}
    with pytest.raises(NeuwidgetsError, match="got 'class'"):
        NetworkSpec(design, trust=True)
