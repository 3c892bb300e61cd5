"""The README's Python examples run as written, in order, and print what it says."""
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run_and_show_what_they_say(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 4
    # Each expression line with a "# value" comment is checked against that value.
    script = ["import numpy as np, tensorflow as tf"]
    for block in blocks:
        for line in block.splitlines():
            match = re.match(r"^(\S.*?)\s+# (\(\?|\[|\d[\d,]*:)(.*)$", line)
            if match and "=" not in match.group(1).split("(")[0]:
                expected = (match.group(2) + match.group(3)).split(":")[0].replace(",", "") \
                    if match.group(2)[0].isdigit() else match.group(2) + match.group(3)
                script.append(f"_value = {match.group(1)}")
                script.append(f"assert str(_value).replace(',', '') == {expected.replace(',', '')!r}, "
                              f"(str(_value), {expected!r})")
            else:
                script.append(line)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", "\n".join(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "design.json").exists()
