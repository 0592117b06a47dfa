from vigila.log.base import Partitioner, partition_for


def test_a_partitioner_remembers_partitions_up_to_its_bound(monkeypatch):
    monkeypatch.setattr(Partitioner, "_MAX_KEYS", 3)
    partitioner = Partitioner(8)
    keys = ["cluster-a/node-00/mlx5_0/1", "app.orders", "é", ""]
    assert [partitioner[k] for k in keys] == [partition_for(k, 8) for k in keys]
    assert list(partitioner) == [""]  # full at three keys: forgotten, then the fourth kept
    assert partitioner["app.orders"] == partition_for("app.orders", 8) and len(partitioner) == 2
