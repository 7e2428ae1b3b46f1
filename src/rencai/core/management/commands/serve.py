"""`rencai serve`: the production server (granian, 2 workers) on loopback, with the task worker beside it.

granian (Rust HTTP, Python WSGI workers) rather than gunicorn: card verification, the hottest path, ran
~1.4-1.7x faster under it in bench/onestop.py on this 2-core machine. `--server gunicorn` remains.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rencai with gunicorn and a background-task worker / 以 gunicorn 启动平台及后台任务"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the django-tasks database worker"
        )

    def handle(self, *args, host, port, workers, server, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        command = [
            os.path.join(bin_dir, "granian"),
            "--interface",
            "wsgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--access-log",
            "rencai.wsgi:application",
        ]
        if server == "gunicorn":
            command = self.gunicorn_command(bin_dir, host, port, workers)
        self.serve(command, bin_dir, host, port, no_worker)

    def gunicorn_command(self, bin_dir, host, port, workers) -> list[str]:
        return [
            os.path.join(bin_dir, "gunicorn"),
            "rencai.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ]

    def serve(self, command, bin_dir, host, port, no_worker) -> None:
        # A SIGTERM (systemd, `kill`) stops the server and the worker too instead of orphaning them.
        signal.signal(signal.SIGTERM, _stop)
        # Card checks are logged through a spool file and written in batches (see onestop.verification).
        os.environ.setdefault("RENCAI_VERIFICATION_LOG_DELAY", "0.5")
        processes = [subprocess.Popen(command)]
        if not no_worker:
            # Reminders, matching runs and notification delivery run here (django-tasks, database backend).
            subprocess.run([os.path.join(bin_dir, "rencai"), "schedule"], check=True)
            processes.append(subprocess.Popen([os.path.join(bin_dir, "rencai"), "db_worker"]))
        self.stdout.write(f"Rencai 已启动：http://{host}:{port}/  (Ctrl-C 退出)")
        try:
            processes[0].wait()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait()


def _stop(signum, frame):
    raise SystemExit(0)
