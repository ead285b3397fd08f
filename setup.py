"""Packages: ``eden`` and the folder ``plugins/`` installed as ``eden_plugins``.

pyproject.toml cannot rename a discovered package tree, hence this small hook (all metadata stays in pyproject).
"""

from setuptools import find_packages, setup

plugin_packages = [
    "eden_plugins" + p[len("plugins") :] for p in find_packages(include=["plugins", "plugins.*"])
]
setup(
    packages=find_packages(include=["eden", "eden.*"]) + plugin_packages,
    package_dir={"eden_plugins": "plugins"},
)
