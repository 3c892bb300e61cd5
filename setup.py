"""Packaging for neuwidgets. Building the package also builds the front-end bundle
(``npm ci && npm run build``) when it is missing or older than the sources in js/."""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent.resolve()
BUNDLE = [HERE / "neuwidgets" / "static" / name for name in ("builder.js", "builder.css")]


def bundle_is_stale():
    sources = [p for p in (HERE / "js").rglob("*") if p.is_file()] + [HERE / "package.json", HERE / "package-lock.json"]
    newest = max((p.stat().st_mtime for p in sources if p.exists()), default=0)
    return any(not p.exists() or p.stat().st_mtime < newest for p in BUNDLE)


class BuildWithBundle(build_py):
    def run(self):
        if (HERE / "js").is_dir() and bundle_is_stale():
            if shutil.which("npm") is None:
                raise SystemExit("neuwidgets: building the widget front end needs Node.js and npm "
                                 "(https://nodejs.org); install them and run the install again.")
            env = {**os.environ, "npm_config_fund": "false", "npm_config_audit": "false"}
            if not (HERE / "node_modules").is_dir():
                subprocess.run(["npm", "ci"], cwd=HERE, check=True, env=env)
            subprocess.run(["npm", "run", "build"], cwd=HERE, check=True, env=env)
        super().run()


setup(
    name="neuwidgets",
    version="0.1.0",
    description="Assemble neural networks visually in Jupyter and see what their initialization does",
    long_description=(HERE / "README.md").read_text(encoding="utf-8") if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    python_requires=">=3.9",
    packages=find_packages(include=["neuwidgets", "neuwidgets.*"]),
    package_data={"neuwidgets": ["static/*", "*.json"]},
    include_package_data=True,
    install_requires=[
        "tensorflow-cpu>=2.16; platform_machine=='x86_64' or platform_machine=='AMD64'",
        "tensorflow>=2.16; platform_machine!='x86_64' and platform_machine!='AMD64'",
        "numpy", "matplotlib>=3.7", "ipywidgets>=8", "anywidget>=0.9", "traitlets", "jsonschema>=4", "fastjsonschema>=2.19", "scikit-learn", "scipy",
    ],
    extras_require={
        "lab": ["jupyterlab>=4"],
        "test": ["pytest", "hypothesis", "jupyterlab>=4", "nbclient", "nbformat", "ipykernel", "playwright",
                 "notebook>=7", "marimo", "voila"],  # the hosts of tests/test_hosts.py
    },
    entry_points={"console_scripts": ["neuwidgets=neuwidgets.__main__:main"]},
    cmdclass={"build_py": BuildWithBundle},
)
