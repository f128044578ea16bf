"""ImagePool against the official `util/image_pool.py` semantics, replayed image by image.

Every test image is a constant map holding a unique id, so each returned image tells
which branch the official code took: the current image (pool filling, or no swap) or a
stored one (swapped out, the current image taking its slot). `replay` re-runs the
official algorithm on those decisions and checks the pool and count that result.
"""

import numpy as np
import pytest
import tensorflow as tf
from testing import mirrored_strategy

from ugatit_tf.losses.image_pool import ImagePool

SHAPE = (2, 2, 1)


def batch(ids):
    return tf.constant(np.broadcast_to(np.asarray(ids, np.float32)[:, None, None, None],
                                       (len(ids), *SHAPE)).copy())


def ids_of(images):
    images = np.asarray(images)
    assert np.all(images == images[:, :1, :1, :1]), "an image is not one constant map"
    return [float(v) for v in images[:, 0, 0, 0]]


def replay(pool, count, inputs, returned, pool_size):
    """The official query on the decisions `returned` reveals; returns (pool, count,
    number of swaps)."""
    pool, swaps = list(pool), 0
    for image, out in zip(inputs, returned):
        if count < pool_size:
            assert out == image, f"filling: {image} should pass through, got {out}"
            pool[count] = image
            count += 1
        elif out != image:
            assert out in pool, f"{out} was neither the input {image} nor in the pool {pool}"
            pool[pool.index(out)] = image
            swaps += 1
    return pool, count, swaps


def state(pool, row=0, copy=None):
    images = pool.images if copy is None else copy
    rows = np.asarray(images)[row * pool.pool_size:(row + 1) * pool.pool_size]
    return ids_of(rows), int(np.asarray(pool.count)[row])


def run_queries(pool, query, batches):
    """Queries each batch, checking every step against `replay`; returns the swaps."""
    swaps = 0
    expected_pool, expected_count = state(pool)
    for ids in batches:
        out = ids_of(query(batch(ids)))
        expected_pool, expected_count, n = replay(expected_pool, expected_count, ids, out,
                                                  pool.pool_size)
        swaps += n
        assert state(pool) == (expected_pool[:], expected_count)
    return swaps


def test_first_images_pass_through_then_half_are_swapped():
    pool = ImagePool(5, SHAPE, seed=1)
    # 2 + 2 + 1 fill the pool (the third batch is split between the two branches).
    swaps = run_queries(pool, pool.query, [[1, 2], [3, 4], [5, 6]] + [[i] for i in
                                                                      range(7, 607)])
    # 601 fair coins after the pool filled: mean 300.5, sd 12.3; +-62 is 5 sd.
    assert abs(swaps - 300.5) < 62
    assert state(pool)[1] == 5


def test_swapped_slots_are_uniform():
    pool = ImagePool(4, SHAPE, seed=2)
    pool.query(batch([0, 1, 2, 3]))
    hits = np.zeros(4)
    for i in range(4, 404):
        before = state(pool)[0]
        out = ids_of(pool.query(batch([i])))[0]
        if out != i:
            hits[before.index(out)] += 1
    # ~200 swaps over 4 slots: 50 each, sd 6.1; +-30 is ~5 sd.
    assert np.all(np.abs(hits - hits.sum() / 4) < 30), hits


def test_tf_function_matches_eager_and_checkpoint_resumes_the_stream(tmp_path):
    eager, compiled = ImagePool(3, SHAPE, seed=7), ImagePool(3, SHAPE, seed=7)
    query = tf.function(compiled.query)
    batches = [[i, i + 0.5] for i in range(20)]
    for ids in batches[:10]:
        np.testing.assert_array_equal(query(batch(ids)), eager.query(batch(ids)))
    path = tf.train.Checkpoint(pool=eager).save(str(tmp_path / "ckpt"))
    after = [ids_of(eager.query(batch(ids))) for ids in batches[10:]]

    restored = ImagePool(3, SHAPE, seed=99)  # another seed: the state must come back
    tf.train.Checkpoint(pool=restored).restore(path).assert_consumed()
    assert [ids_of(restored.query(batch(ids))) for ids in batches[10:]] == after
    assert len({tuple(a) for a in after}) > 1


def test_pool_size_zero_returns_the_batch():
    pool = ImagePool(0, SHAPE)
    x = batch([1, 2, 3])
    np.testing.assert_array_equal(pool.query(x), x)
    assert not pool.trainable_variables and not pool.variables


def test_float64_images_keep_their_dtype():
    pool = ImagePool(2, SHAPE, dtype="float64")
    out = pool.query(tf.fill((1, *SHAPE), tf.constant(1.0 + 1e-12, tf.float64)))
    assert out.dtype == tf.float64 and float(out[0, 0, 0, 0]) == 1.0 + 1e-12


def test_mirrored_strategy_one_pool_per_replica():
    strategy = mirrored_strategy()
    with strategy.scope():
        pool = ImagePool(3, SHAPE, seed=3)

    @tf.function
    def step(images):
        return strategy.run(pool.query, args=(images,))

    expected = [state(pool, r) for r in range(2)]
    swaps = [[], []]
    for k in range(60):
        ids = [[1000 * r + 2 * k + 1, 1000 * r + 2 * k + 2] for r in range(2)]
        images = strategy.experimental_distribute_values_from_function(
            lambda ctx, ids=ids: batch(ids[ctx.replica_id_in_sync_group]))
        outputs = strategy.experimental_local_results(step(images))
        copies = strategy.experimental_local_results(pool.images)
        np.testing.assert_array_equal(copies[0], copies[1])  # the mirrors agree
        for r in range(2):
            out = ids_of(outputs[r])
            new_pool, count, _ = replay(*expected[r], ids[r], out, 3)
            expected[r] = (new_pool, count)
            assert state(pool, r, copies[0]) == expected[r], f"replica {r}, step {k}"
            if k >= 2:  # the pools filled in the first two steps
                swaps[r] += [o != i for o, i in zip(out, ids[r])]
    # Each replica draws its own coins: 116 identical flips would be a 2^-116 chance.
    assert swaps[0] != swaps[1]


@pytest.mark.parametrize("kwargs, message", [
    (dict(pool_size=-1), "pool_size must be an int >= 0, got -1"),
    (dict(image_shape=(4, 4)), r"image_shape must be \(height, width, channels\)"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImagePool(**kwargs)


def test_query_in_cross_replica_context_fails():
    strategy = mirrored_strategy()
    with strategy.scope():
        pool = ImagePool(3, SHAPE)
        with pytest.raises(ValueError, match="runs per replica"):
            pool.query(batch([1]))


def test_xla_follows_the_official_algorithm():
    # XLA's random kernels need not give the eager stream: replay the decisions instead.
    pool = ImagePool(3, SHAPE, seed=5)
    query = tf.function(pool.query, jit_compile=True)
    swaps = run_queries(pool, query, [[2 * i + 1, 2 * i + 2] for i in range(40)])
    # 77 coins after the fill: mean 38.5, sd 4.4; +-22 is 5 sd.
    assert abs(swaps - 38.5) < 22
