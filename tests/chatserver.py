"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol, with scripted replies.

    with ChatServer([reply("...json..."), status(429, retry_after=0), ...]) as srv:
        srv.base_url   # http://127.0.0.1:PORT/v1
        srv.requests   # the JSON bodies received

With ``gate=threading.Event()`` every request waits for the gate to open before it is answered, and
``srv.arrived`` is set as soon as one is waiting: a test can act while a client waits on the model.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def reply(content: str, usage: dict | None = None) -> dict:
    return {"status": 200, "body": json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": usage or {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}})}


def bullets(*items: str, usage: dict | None = None) -> dict:
    return reply(json.dumps({"bullets": list(items)}, ensure_ascii=False), usage)


def status(code: int, retry_after: float | None = None) -> dict:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return {"status": code, "body": json.dumps({"error": {"message": f"status {code}"}}), "headers": headers}


def hang(seconds: float) -> dict:
    return {"status": 200, "body": "{}", "delay": seconds}


def raw(body: str) -> dict:
    return {"status": 200, "body": body}


class ChatServer:
    def __init__(self, script: list[dict], default: dict | None = None, gate: threading.Event | None = None):
        self.script = list(script)
        self.default = default
        self.gate = gate
        self.arrived = threading.Event()
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def __enter__(self) -> "ChatServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append({"path": self.path, "body": body,
                                            "auth": self.headers.get("Authorization")})
                    step = server.script.pop(0) if server.script else server.default
                if step is None:
                    step = status(500)
                if self.path != "/v1/chat/completions":
                    step = status(404)
                server.arrived.set()
                if server.gate is not None:
                    server.gate.wait(60)
                if step.get("delay"):
                    time.sleep(step["delay"])
                data = step["body"].encode()
                try:
                    self.send_response(step["status"])
                    self.send_header("Content-Type", "application/json")
                    for k, v in step.get("headers", {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
