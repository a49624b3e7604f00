"""The framework's ceiling for bench/load.py: a bare Flask route, served by the same gunicorn
configuration as the gateway."""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
