"""Build hook that copies web/ and processes/ into the package as bpmn_complaints/web and .../processes.

Everything else is declared in pyproject.toml. The two folders stay at the top of a checkout,
where the app finds them; a wheel carries them inside the package. They are added as data
files of the build rather than mapped with package-dir: a mapping makes setuptools warn about
each of their sub-folders ("Package would be ignored") and makes the editable install use a
meta path finder, which warns too. web/node_modules stays out: the diagram pages need
`npm install`.
"""

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# package in the wheel -> (folder at the top of the checkout, glob patterns inside it)
SHIPPED: dict[str, tuple[str, list[str]]] = {
    "bpmn_complaints.web": ("web", ["templates/**/*", "static/*", "src/*", "build.mjs", "package.json",
                                    "package-lock.json"]),
    "bpmn_complaints.processes": ("processes", ["*.bpmn", "*.dmn", "forms/*.json"]),
}


class BuildPyWithShippedFolders(build_py):
    """setuptools' build_py, with SHIPPED added to its package data (so sdists carry it too)."""

    def _shipped(self) -> list[tuple[str, str, str, list[str]]]:
        found = []
        for package, (folder, patterns) in SHIPPED.items():
            root = Path(self.distribution.src_root or os.curdir, folder)
            names = sorted({path.relative_to(root).as_posix()
                            for pattern in patterns for path in root.glob(pattern) if path.is_file()})
            found.append((package, str(root), os.path.join(self.build_lib, *package.split(".")), names))
        return found

    def _get_data_files(self) -> list[tuple[str, str, str, list[str]]]:
        return super()._get_data_files() + self._shipped()

    def get_data_files_without_manifest(self) -> list[tuple[str, str, str, list[str]]]:
        return super().get_data_files_without_manifest() + self._shipped()


setup(cmdclass={"build_py": BuildPyWithShippedFolders})
