"""`rencai serve`: the production server (gunicorn, 2 workers) on loopback, with the task worker beside it."""

import os
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rencai with gunicorn and a background-task worker / 以 gunicorn 启动平台及后台任务"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the django-tasks database worker"
        )

    def handle(self, *args, host, port, workers, no_worker, **options):
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
        processes = [subprocess.Popen(command)]
        if not no_worker:
            # Reminders, matching runs and notification delivery run here (django-tasks, database backend).
            processes.append(subprocess.Popen([os.path.join(bin_dir, "rencai"), "db_worker"]))
        self.stdout.write(f"Rencai 已启动：http://{host}:{port}/  (Ctrl-C 退出)")
        try:
            processes[0].wait()
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait()
