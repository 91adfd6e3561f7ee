"""``python -m mspweb.sandbox [--port 5050 ...]``: serve the sandbox portals."""

from .cli import serve

if __name__ == "__main__":
    serve(prog_name="python -m mspweb.sandbox")
