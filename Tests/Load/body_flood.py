#!/usr/bin/env python3
"""Many large request bodies at once against one service; its resident memory is sampled.

Sends CONCURRENCY requests of BODY_MB megabytes each, all at the same time, to
http://127.0.0.1:PORT/api/v1/submissions with the bearer TOKEN, while another thread reads
VmRSS of process PID every 50 ms. Prints one line per status seen and the peak memory, then
`peak_rss_mb=N`; exits 1 if any answer was a 5xx other than 503, or a 503 came without
Retry-After. Bounded: every socket has a timeout, the whole run a deadline.
"""
import base64
import os
import socket
import sys
import threading
import time

PORT = int(os.environ["PORT"])
PID = int(os.environ["PID"])
TOKEN = os.environ["TOKEN"]
CONCURRENCY = int(os.environ.get("CONCURRENCY", "500"))
BODY_MB = int(os.environ.get("BODY_MB", "20"))

# One body shared by every thread: a submission whose attachment fills it.
attachment = base64.b64encode(b"%PDF-1.4\n" + os.urandom(BODY_MB * 1024 * 1024 * 3 // 4 - 4096)).decode()
BODY = ('{"title": "Tài liệu lớn", "body": "Kèm tệp", "bodyFormat": "text", "kind": "news", "language": "vi", '
        '"authors": [{"name": "An", "share": 100}], "targetSites": ["longan.gov.vn"], '
        '"attachments": [{"filename": "lon.pdf", "contentType": "application/pdf", "dataBase64": "' + attachment + '"}]}').encode()
HEAD = (f"POST /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n").encode()

results = []
samples = {}
lock = threading.Lock()
peak = [0]
done = threading.Event()


def rss_kb():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sample():
    while not done.is_set():
        try:
            peak[0] = max(peak[0], rss_kb())
        except OSError:
            break
        time.sleep(0.05)


def one(start):
    start.wait()
    outcome = "no answer"
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=60) as connection:
            try:
                connection.sendall(HEAD)
                view = memoryview(BODY)
                for offset in range(0, len(BODY), 1 << 20):
                    connection.sendall(view[offset:offset + (1 << 20)])
            except OSError:
                pass  # refused before the whole body was read: the answer may still be there
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
            if answer.startswith(b"HTTP/1.1 "):
                status = answer[9:12].decode()
                if status not in ("202", "503"):
                    with lock:
                        samples.setdefault(status, answer[:600])
                retry = b"\r\nretry-after:" in answer.lower()
                outcome = status + (" with Retry-After" if status == "503" and retry else "")
    except OSError as error:
        outcome = f"connection error ({type(error).__name__})"
    with lock:
        results.append(outcome)


def main():
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = threading.Event()
    threads = [threading.Thread(target=one, args=(start,), daemon=True) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    began = time.time()
    start.set()
    for thread in threads:
        thread.join(timeout=max(1, 180 - (time.time() - began)))
    done.set()
    time.sleep(0.1)
    counts = {}
    for outcome in results:
        counts[outcome] = counts.get(outcome, 0) + 1
    for outcome, count in sorted(counts.items()):
        print(f"{count:5d}  {outcome}")
    for status, answer in samples.items():
        print(f"sample {status}: {answer!r}")
    print(f"elapsed_s={time.time() - began:.1f}")
    print(f"peak_rss_mb={peak[0] // 1024}")
    bad = [o for o in results if o.startswith("5") and o != "503 with Retry-After"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
