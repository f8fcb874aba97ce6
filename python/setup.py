"""Builds libsegstack.so from the Go module one folder up (the repository
root) with ``go build -buildmode=c-shared`` and puts it into the package, so
that the wheel is a platform wheel that needs no Go toolchain to use.

SEGSTACK_PREBUILT_LIB=path/to/libsegstack.so uses an already built library
instead (CI builds it once for the Go and Python checks).
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools before 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class BuildGoLibrary(build_py):
    """build_py that also builds the Go shared library into the package."""

    def run(self):
        super().run()
        dst = os.path.join(self.build_lib, "segstack")
        os.makedirs(dst, exist_ok=True)
        pre = os.environ.get("SEGSTACK_PREBUILT_LIB")
        if pre:
            shutil.copy2(pre, os.path.join(dst, "libsegstack.so"))
            return
        if not os.path.exists(os.path.join(ROOT, "capi")):
            raise RuntimeError("segstack: building the library needs the Go sources (../capi); "
                               "install a built wheel or set SEGSTACK_PREBUILT_LIB")
        env = dict(os.environ, CGO_ENABLED="1")
        subprocess.check_call(
            ["go", "build", "-trimpath", "-buildmode=c-shared", "-o",
             os.path.join(os.path.abspath(dst), "libsegstack.so"), "./capi"],
            cwd=ROOT, env=env)


class PlatformWheel(bdist_wheel):
    """The wheel carries a native library, loaded with ctypes: it is tied to
    the platform but not to a Python version or ABI (py3-none-<platform>)."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(cmdclass={"build_py": BuildGoLibrary, "bdist_wheel": PlatformWheel})
