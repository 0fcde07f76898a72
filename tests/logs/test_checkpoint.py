"""The checkpointer: positions and cursors, acks, the watermark, the file's versions and damage."""

from __future__ import annotations

from pathlib import Path

from cflexagent.logs.checkpoint import Checkpointer, FilePos


async def test_checkpoint_file_is_atomic_versioned_and_survives_corruption(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.json"
    cp = Checkpointer(path)
    for _ in range(6):
        cp.commit(cp.begin("app", []))
    cp.commit(cp.begin("app", [FilePos(1, 2, 300, 256, 99, "/x/a.log")]))
    cp.commit(cp.begin("journal", [], "s=abc;i=1"))
    assert await cp.persist()
    again = Checkpointer(path)
    assert again.get("app")["1:2"].offset == 300 and again.persisted_id == 8
    assert again.cursor("journal") == "s=abc;i=1"
    assert b'"version":2' in path.read_bytes()
    # newer positions carried by a durable sink's records win over the file; older ones do not
    again.expect_recovery({"loki"})
    assert again.recovered("loki", [
        {"id": 9, "source": "app", "positions": [[1, 2, 500, 256, 99, "/x/a.log", 0.0, False]]},
        {"id": 5, "source": "app", "positions": [[1, 2, 100, 256, 99, "/x/a.log", 0.0, False]]}]) == 1
    assert again.get("app")["1:2"].offset == 500
    assert again.begin("app", []).id == 10  # ids go on after the newest one recovered
    path.write_bytes(b"\x00" * 64)  # the Promtail positions-file failure mode
    broken = Checkpointer(path)
    assert broken.get("app") == {} and (tmp_path / "checkpoints.json.corrupt").exists()


async def test_the_watermark_never_passes_an_ack_in_flight(tmp_path: Path) -> None:
    """Two sources: B's delivery is still in flight when A's later one commits; the file's watermark
    stays below B's, so after a crash B's spooled positions are recovered, not skipped."""
    cp = Checkpointer(tmp_path / "checkpoints.json")
    b = cp.begin("b", [FilePos(1, 1, 10, 10, 1, "/b.log")])
    a = cp.begin("a", [FilePos(1, 2, 20, 10, 2, "/a.log")])
    cp.commit(a)
    assert await cp.persist()
    assert Checkpointer(tmp_path / "checkpoints.json").persisted_id == b.id - 1
    cp.abandon(b)  # the source stopped: its lines are read again
    assert cp.watermark == a.id


def test_a_version_1_checkpoint_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.json"
    path.write_bytes(b'{"version":1,"spool_seq":41,"written":0,'
                     b'"sources":{"app":{"1:2":[1,2,300,256,99,"/x/a.log",0.0,false]}}}')
    cp = Checkpointer(path)
    assert cp.get("app")["1:2"].offset == 300 and cp.persisted_id == 41 and cp.knows("app")
