#!/usr/bin/python3
"""A JSON API in Python: echoes the method, the body and a few headers."""
import json
import os
import sys

length = os.environ.get("CONTENT_LENGTH", "")
body = sys.stdin.buffer.read(int(length)) if length.isdigit() else b""
answer = {
    "lang": "python",
    "method": os.environ.get("REQUEST_METHOD", ""),
    "path": os.environ.get("SCRIPT_NAME", "") + os.environ.get("PATH_INFO", ""),
    "query": os.environ.get("QUERY_STRING", ""),
    "body": body.decode("utf-8", "replace"),
    "x_custom_header": os.environ.get("HTTP_X_CUSTOM_HEADER", ""),
    "content_type": os.environ.get("CONTENT_TYPE", ""),
}
out = sys.stdout.buffer
out.write(b"Content-Type: application/json\r\nX-Total-Count: 1\r\n\r\n")
out.write(json.dumps(answer).encode() + b"\n")
