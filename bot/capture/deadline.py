"""HTTP over a socket we opened ourselves, with one deadline for the whole exchange.

Shared by the safe fetcher (which must connect to the address it vetted, never re-resolve) and the
LLM client: every send and receive may only wait for the time left, so a server that trickles bytes
cannot stretch a request past its deadline (a plain socket timeout resets on every byte).
"""

from __future__ import annotations

import http.client
import io
import socket
import time
from typing import Any

STANDARD_PORTS = {"http": 80, "https": 443}


class DeadlineSocket:
    """The socket facade http.client sees; raises ``TimeoutError`` once ``limit`` (monotonic) passes."""

    def __init__(self, sock: socket.socket, limit: float) -> None:
        self._sock = sock
        self._limit = limit

    def _arm(self) -> None:
        remaining = self._limit - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(remaining)

    def sendall(self, data: bytes) -> None:
        self._arm()
        self._sock.sendall(data)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        """No-op: http.client closes the connection while its response still reads from it (a real socket
        defers that via makefile reference counts); the caller owns and closes the real socket."""


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: DeadlineSocket) -> None:
        self._deadline_sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._deadline_sock.recv_into(buffer)


class SocketConnection(http.client.HTTPConnection):
    """An HTTPConnection over a socket we opened; it can never (re)connect by name."""

    def __init__(self, host: str, port: int, sock: DeadlineSocket, scheme: str) -> None:
        super().__init__(host, port)
        self.default_port = STANDARD_PORTS[scheme]  # so the Host header omits :443 for https
        self.sock = sock

    def connect(self) -> None:
        raise ConnectionError("connection closed; refusing to reconnect by name")
