"""uvicorn in a thread, stopped with the worker."""

import threading

import uvicorn
from fastapi import FastAPI


class WebServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
        )
        self._thread = threading.Thread(target=self._server.run, name="notify-web", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
