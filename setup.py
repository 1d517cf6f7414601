"""Package discovery; everything else is declared in pyproject.toml.

Every ``cltv_xl`` package is found automatically (``cltv_xl/data`` as a namespace package, so
its data files ship without setuptools warnings), and the top-level ``templates/`` folder is
shipped inside the wheel as ``cltv_xl.templates``.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["cltv_xl", "cltv_xl.*"], exclude=["*__pycache__*"]),
        "cltv_xl.templates",
    ],
    package_dir={"cltv_xl.templates": "templates"},
)
