"""`rencai serve`: the production server (gunicorn, 2 workers) on loopback, with the task worker beside it."""

import os
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rencai with gunicorn / 以 gunicorn 启动平台"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, host, port, workers, **options):
        bin_dir = os.path.dirname(sys.executable)
        command = [
            os.path.join(bin_dir, "gunicorn"),
            "rencai.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ]
        self.stdout.write(f"Rencai 已启动：http://{host}:{port}/  (Ctrl-C 退出)")
        server = subprocess.Popen(command)
        try:
            server.wait()
        except KeyboardInterrupt:
            server.terminate()
            server.wait()
