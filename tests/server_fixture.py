"""A real xlwings Server 1.x (xlwings-server from PyPI) on 127.0.0.1, serving cltv-xl.

``running_server()`` makes a project with ``xlwings-server init``, writes cltv-xl's files into
it with :func:`cltv_xl.excel.server.setup_project`, starts
``python -m uvicorn xlwings_server.main:main_app`` in production mode on a free port, waits
until it answers, and stops it afterwards. The helpers call it over HTTP exactly as Excel's
Office.js runtime does (the request body of ``custom-functions-call``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import xlwings as xw

from cltv_xl.excel.server import setup_project

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


@dataclass
class Server:
    url: str
    project: Path
    log: Path

    def get(self, path: str) -> Response:
        return self._send(urllib.request.Request(self.url + path))

    def post(self, path: str, payload: dict) -> Response:
        data = json.dumps(payload).encode()
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        return self._send(request)

    def call(self, func_name: str, *args, culture: str = "en-US") -> Response:
        """POST /xlwings/custom-functions-call with the body Excel's Office.js sends."""
        return self.post("/xlwings/custom-functions-call", officejs_body(func_name, *args,
                                                                         culture=culture))

    @staticmethod
    def _send(request: urllib.request.Request) -> Response:
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                return Response(reply.status, reply.read(), dict(reply.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), dict(error.headers))


def officejs_body(func_name: str, *args, culture: str = "en-US") -> dict:
    return {
        "client": "Office.js",
        "func_name": func_name,
        "args": list(args),
        "caller_address": "[Book1.xlsx]Sheet1!B2",
        "culture_info_name": culture,
        "date_format": "m/d/yyyy",
        "version": xw.__version__,
        "runtime": "1.4",
        "session_id": "pytest",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(workdir: Path) -> Iterator[Server]:
    """Start a production-mode xlwings Server serving cltv-xl; stop it on exit."""
    project = workdir / "cltv-server"
    cli = Path(sys.executable).with_name("xlwings-server")
    subprocess.run([str(cli), "init", str(project)], check=True, capture_output=True,
                   timeout=120)
    setup_project(project)
    port = _free_port()
    env = {
        **os.environ,
        "XLWINGS_PROJECT_DIR": str(project),
        "XLWINGS_ENVIRONMENT": "prod",
        "XLWINGS_LICENSE_KEY": "noncommercial",
        "XLWINGS_ENABLE_SOCKETIO": "false",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                      if p),
    }
    env.pop("XLWINGS_ON_SERVER", None)  # the server sets up xlwings itself
    log = workdir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "xlwings_server.main:main_app",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=project, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", project, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"xlwings Server exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if server.get("/xlwings/custom-functions-meta").status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"xlwings Server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
