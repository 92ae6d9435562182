#!/usr/bin/env python3
"""Provisioning benchmark: create-to-running and delete times of real instances.

In one run, on the same machine:
  - our API: 10 PostgreSQL and 10 MySQL (MariaDB) instances created one after another, then
    5 at once (twice), each timed from POST /v1/instances to its operation "succeeded"
    (the instance answers its administrator over TLS by then); the same for DELETE;
  - the floor: a bare `initdb && pg_ctl start -w` (and `mariadb-install-db && mariadbd` until
    it accepts connections) with the same durability (fsync on), timed the same way.
Prints median and p95 per row. The platform is started with deploy/local/up on free ports in a
temporary state directory and always stopped (deploy/local/down) and removed at the end.

usage: tests/bench/provisioning/run.py [--build-dir build/rel] [--count 10] [--parallel 5]
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PG_BIN = "/usr/lib/postgresql/15/bin"
OS_USER = "dbaas-db"


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Api:
    def __init__(self, base):
        self.base = base
        self.token = ""

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def wait(self, op_id):
        while True:
            status, op = self.call("GET", "/v1/operations/" + op_id)
            if status == 200 and op["status"] in ("succeeded", "failed"):
                if op["status"] == "failed":
                    raise RuntimeError("operation failed: %s" % op)
                return
            time.sleep(0.05)


def timed_create(api, tenant, engine, name):
    start = time.monotonic()
    for _ in range(200):
        status, body = api.call("POST", "/v1/instances", {
            "tenant_id": tenant, "name": name, "engine": engine, "size": "micro", "storage_gb": 10})
        if status == 202:
            break
        if status != 409:
            raise RuntimeError("create answered %d %s" % (status, body))
        time.sleep(0.1)  # the tenant has not reached provisioning yet
    api.wait(body["operation"]["id"])
    return time.monotonic() - start, body["instance"]["id"]


def timed_delete(api, instance_id):
    start = time.monotonic()
    status, body = api.call("DELETE", "/v1/instances/" + instance_id)
    if status != 202:
        raise RuntimeError("delete answered %d %s" % (status, body))
    api.wait(body["operation"]["id"])
    return time.monotonic() - start


def as_db_user(cmd):
    return (["runuser", "-u", OS_USER, "--"] + cmd) if os.geteuid() == 0 else cmd


def floor_dir(work):
    """A directory the database OS user owns (initdb and mariadbd refuse root)."""
    path = os.path.join(work, "floor")
    os.makedirs(path, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, OS_USER)
    return path


def floor_postgres(work, port):
    work = floor_dir(work)
    data = os.path.join(work, "pg-%d" % port)
    start = time.monotonic()
    subprocess.run(as_db_user([PG_BIN + "/initdb", "-D", data, "-U", "postgres", "-A", "trust"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(as_db_user([PG_BIN + "/pg_ctl", "-D", data, "-w", "-l", data + ".log", "-o",
                               "-p %d -k %s -c listen_addresses=127.0.0.1" % (port, work), "start"]),
                   check=True, stdout=subprocess.DEVNULL)
    created = time.monotonic() - start
    start = time.monotonic()
    subprocess.run(as_db_user([PG_BIN + "/pg_ctl", "-D", data, "-w", "-m", "fast", "stop"]),
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(data)
    os.remove(data + ".log")
    return created, time.monotonic() - start


def floor_mariadb(work, port):
    work = floor_dir(work)
    data = os.path.join(work, "my-%d" % port)
    os.makedirs(data)
    if os.geteuid() == 0:
        shutil.chown(data, OS_USER)
    sock = os.path.join(work, "my-%d.sock" % port)
    start = time.monotonic()
    subprocess.run(as_db_user(["mariadb-install-db", "--datadir=" + data, "--auth-root-authentication-method=normal",
                               "--skip-test-db"]), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    proc = subprocess.Popen(as_db_user(["mariadbd", "--no-defaults", "--datadir=" + data,
                                        "--port=%d" % port, "--bind-address=127.0.0.1",
                                        "--socket=" + sock, "--pid-file=" + data + "/pid"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while subprocess.run(["mariadb-admin", "--no-defaults", "-S", sock, "-uroot", "ping"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        time.sleep(0.02)
    created = time.monotonic() - start
    start = time.monotonic()
    proc.terminate()
    proc.wait()
    shutil.rmtree(data)
    return created, time.monotonic() - start


def summary(label, values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    print("| %-44s | %3d | %7.2f | %7.2f |" % (label, len(values), statistics.median(values), p95))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build", "rel"))
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--parallel", type=int, default=5)
    args = parser.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    for svc in ("gateway", "access-control", "provisioning"):
        binary = os.path.join(build_dir, "services", svc, "dbaas-" + svc)
        if not os.access(binary, os.X_OK):
            sys.exit("missing %s: build it (ninja -C %s dbaas-%s)" % (binary, build_dir, svc))

    work = tempfile.mkdtemp(prefix="dbaas-bench-prov.", dir="/tmp")
    os.chmod(work, 0o755)
    state = os.path.join(work, "state")
    pg, nats, ac, prov, gw = free_ports(5)
    password = "bench-" + os.urandom(8).hex()
    env = dict(os.environ, DBAAS_SKIP_INSTALL="1", DBAAS_STATE_DIR=state, DBAAS_PG_PORT=str(pg),
               DBAAS_NATS_PORT=str(nats), DBAAS_ACCESS_CONTROL_PORT=str(ac),
               DBAAS_PROVISIONING_PORT=str(prov), DBAAS_GATEWAY_PORT=str(gw),
               DBAAS_ADMIN_PASSWORD=password, DBAAS_RATE_LIMIT_WRITES="1000000/1:1000000",
               DBAAS_RATE_LIMIT_READS="1000000/1:1000000")
    started = False
    try:
        print("starting the platform in %s" % state, file=sys.stderr)
        started = True
        subprocess.run([os.path.join(ROOT, "deploy/local/up"), "--detach", "--no-build",
                        "--build-dir", build_dir, "--state-dir", state], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        api = Api("http://127.0.0.1:%d" % gw)
        status, body = api.call("POST", "/v1/auth/token", {"username": "admin", "password": password})
        api.token = body["access_token"]
        status, tenant = api.call("POST", "/v1/tenants", {
            "name": "bench-provisioning", "limits": {"max_instances": 100, "max_storage_gb": 100000}})
        tenant = tenant["id"]

        print("| %-44s | %3s | %7s | %7s |" % ("seconds", "n", "median", "p95"))
        print("|%s|-----|---------|---------|" % ("-" * 46))
        for engine in ("postgresql", "mysql"):
            creates, deletes = [], []
            for i in range(args.count):
                seconds, instance = timed_create(api, tenant, engine, "seq-%s-%d" % (engine[:2], i))
                creates.append(seconds)
                deletes.append(timed_delete(api, instance))
            summary("%s create, one at a time (API)" % engine, creates)
            summary("%s delete, one at a time (API)" % engine, deletes)
            creates, deletes = [], []
            for batch in range(2):
                with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
                    results = list(pool.map(lambda i: timed_create(
                        api, tenant, engine, "par-%s-%d-%d" % (engine[:2], batch, i)),
                        range(args.parallel)))
                creates += [r[0] for r in results]
                with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
                    deletes += list(pool.map(lambda r: timed_delete(api, r[1]), results))
            summary("%s create, %d at once (API)" % (engine, args.parallel), creates)
            summary("%s delete, %d at once (API)" % (engine, args.parallel), deletes)
            floor = [(floor_postgres if engine == "postgresql" else floor_mariadb)(work, free_ports(1)[0])
                     for _ in range(args.count)]
            summary("%s floor: bare init + start" % engine, [f[0] for f in floor])
            summary("%s floor: bare stop + remove" % engine, [f[1] for f in floor])
    finally:
        if started:
            subprocess.run([os.path.join(ROOT, "deploy/local/down"), "--state-dir", state],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Instances outlive the platform on purpose; a run that failed midway may leave some.
        subprocess.run(["pkill", "-KILL", "-f", work], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
