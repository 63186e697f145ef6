"""Seconds to copy a run's files up to a remote ``--temp_location`` and its tables back, one
file at a time against ``pipeline.remote.COPY_THREADS`` at a time.

    python benchmarks/remote_staging.py --files 2000 --latency-ms 20

The remote is the tests' fake object store (``testremote://``, ``tests/remote_fs.py``) in a
temporary folder, with each object it opens or creates waiting ``--latency-ms`` first, as a
round trip to ``gs://`` or ``s3://`` does. It uploads ``--files`` small local files
(``RemoteStaging.upload``) and downloads as many shards of one table
(``RemoteStaging.download_tables``), each way with 1 thread and with the default, and checks
that both give the same copies.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from apache_beam.io.filesystems import FileSystems  # noqa: E402

from pipeline.errors import exit_on_user_error  # noqa: E402
from pipeline.remote import COPY_THREADS, RemoteStaging  # noqa: E402
from tests import remote_fs  # noqa: E402 - registers testremote:// with Beam


def _timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=2000, help="files each way, 1 or more (default: 2000)")
    parser.add_argument(
        "--latency-ms", type=float, default=20.0, help="round trip per object, 0 or more (default: 20)"
    )
    args = parser.parse_args(argv)
    if args.files < 1:
        parser.error(f"--files must be 1 or more, got {args.files}")
    if not 0 <= args.latency_ms < float("inf"):  # NaN too
        parser.error(f"--latency-ms must be a number, 0 or more, got {args.latency_ms}")
    with tempfile.TemporaryDirectory() as folder:
        local = os.path.join(folder, "in")
        os.makedirs(local)
        paths = []
        for number in range(args.files):
            paths.append(os.path.join(local, f"a{number:06d}.txt"))
            with open(paths[-1], "w", encoding="utf-8") as article:
                article.write(f"Article {number}: Kyiv agreed to talks on Tuesday, officials said.\n")
        remote_fs.ROOT["folder"] = os.path.join(folder, "bucket")
        print(f"{args.files} files each way, {args.latency_ms:g} ms a round trip")
        print(f"{'threads':>8} {'upload s':>9} {'download s':>11}")
        results = []
        for threads in (1, COPY_THREADS):
            remote = RemoteStaging("testremote://bucket/tmp", f"threads{threads}", copy_threads=threads)
            for shard, path in enumerate(paths):  # the table's shards, written as the workers do
                with (
                    open(path, "rb") as source,
                    FileSystems.create(
                        FileSystems.join(remote.tables, "articles", f"articles-{shard:06d}.parquet")
                    ) as copy,
                ):
                    copy.write(source.read())
            remote_fs.TRANSFERS.track(latency=args.latency_ms / 1000)
            upload_s, copies = _timed(lambda remote=remote: remote.upload(paths))
            downloaded = os.path.join(folder, f"out{threads}")
            download_s, found = _timed(
                lambda remote=remote, to=downloaded: remote.download_tables(to, ["articles"])
            )
            remote_fs.TRANSFERS.stop()
            assert len(copies) == found == args.files, (len(copies), found)
            results.append((list(copies), sorted(os.listdir(os.path.join(downloaded, "articles")))))
            print(f"{threads:>8} {upload_s:>9.2f} {download_s:>11.2f}")
            remote.delete()
        assert results[0] == results[1], "the same copies with one thread and with several"


if __name__ == "__main__":
    exit_on_user_error(main, "remote_staging.py")
