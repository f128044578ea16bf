"""The official `ImagePool`: a buffer of past fakes that the discriminator is shown."""

import tensorflow as tf


class ImagePool(tf.Module):
    """Keeps up to `pool_size` past generated images per replica, as `util/image_pool.py`.

    For each image of a batch, in order: while the pool is not full, the image is
    stored and returned; afterwards, with probability 0.5 a uniformly chosen stored image
    is returned and the new one takes its slot, otherwise the new image is returned and
    the pool is left alone. `pool_size=0` returns the batch unchanged.

    State: `images` `[replicas * pool_size, H, W, C]` (replica r's pool in rows
    `r * pool_size ...`) and `count` `[replicas]` (filled
    slots) are variables and `generator` is a seeded `tf.random.Generator`, all tracked,
    so a checkpoint holds the pool and where its random stream stands. Each replica of a
    `MirroredStrategy` owns its row (one pool per process, as in the official
    data-parallel runs) and draws from its own stream (a generator made in a strategy
    scope gives each replica a different one); a query all-gathers the slots every
    replica wrote and applies them all on every replica, so the mirrored copies stay
    equal. Build it in the scope of the strategy that will run it.

    The official code draws its random numbers from Python's `random` (`uniform(0, 1) >
    0.5`, then `randint(0, pool_size - 1)`); here both are drawn for every image, whether
    used or not, so the stream advances by the same amount at every query.

    Args:
        pool_size: images kept per replica (official 50).
        image_shape: `(H, W, C)` of one image.
        dtype: dtype of the stored images (the fakes' dtype).
        seed: the generator's seed.

    Reference: Shrivastava et al. 2017; Zhu et al. 2017, section 4;
    pytorch-CycleGAN-and-pix2pix `util/image_pool.py`.
    """

    def __init__(self, pool_size=50, image_shape=(256, 256, 3), dtype="float32", seed=0,
                 name=None):
        super().__init__(name=name)
        if not isinstance(pool_size, int) or isinstance(pool_size, bool) or pool_size < 0:
            raise ValueError(f"pool_size must be an int >= 0, got {pool_size!r}.")
        if len(image_shape) != 3 or any(int(d) < 1 for d in image_shape):
            raise ValueError(f"image_shape must be (height, width, channels), got "
                             f"{image_shape!r}.")
        self.pool_size = pool_size
        self.image_shape = tuple(int(d) for d in image_shape)
        self.dtype = tf.as_dtype(dtype)
        self.num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if pool_size:
            self.images = tf.Variable(
                tf.zeros((self.num_replicas * pool_size, *self.image_shape), self.dtype),
                trainable=False, name="images")
            self.count = tf.Variable(tf.zeros((self.num_replicas,), tf.int64),
                                     trainable=False, name="count")
            self.generator = tf.random.Generator.from_seed(seed)

    def query(self, images):
        """Returns `[N, H, W, C]`: for each image, itself or a stored one (see the class
        docstring), in the input's dtype, without gradient. Call it in replica context
        (inside `strategy.run`, or outside any strategy)."""
        images = tf.stop_gradient(tf.convert_to_tensor(images))
        if not self.pool_size:
            return images
        context = tf.distribute.get_replica_context()
        if context is None:
            raise ValueError("ImagePool.query runs per replica: call it inside "
                             "strategy.run, not in cross-replica context.")
        if context.num_replicas_in_sync != self.num_replicas:
            raise ValueError(f"This ImagePool was built for {self.num_replicas} replicas but "
                             f"runs on {context.num_replicas_in_sync}: build it in the "
                             f"scope of the strategy that runs it.")
        replica = tf.cast(context.replica_id_in_sync_group, tf.int64)
        batch = tf.cast(images, self.dtype)
        n = tf.shape(batch, out_type=tf.int64)[0]
        coins = self.generator.uniform([n], dtype=tf.float32)
        picks = self.generator.uniform([n], minval=0, maxval=self.pool_size, dtype=tf.int64)
        pool = tf.gather(self.images, replica * self.pool_size + tf.range(self.pool_size,
                                                                          dtype=tf.int64))
        count = tf.gather(self.count, replica)

        def body(i, pool, count, returned, written):
            image = tf.gather(batch, i)
            filling = count < self.pool_size
            swap = tf.logical_and(tf.logical_not(filling), coins[i] > 0.5)
            slot = tf.where(filling, count, picks[i])
            returned = returned.write(tf.cast(i, tf.int32),
                                      tf.where(swap, tf.gather(pool, slot), image))
            store = tf.logical_or(filling, swap)
            pool = tf.cond(store,
                           lambda: tf.tensor_scatter_nd_update(pool, [[slot]], image[None]),
                           lambda: pool)
            written = written.write(tf.cast(i, tf.int32),
                                    tf.where(store, slot, tf.constant(-1, tf.int64)))
            return i + 1, pool, count + tf.cast(filling, tf.int64), returned, written

        _, pool, count, returned, written = tf.while_loop(
            lambda i, *_: i < n, body,
            (tf.constant(0, tf.int64), pool, count,
             tf.TensorArray(self.dtype, size=tf.cast(n, tf.int32), element_shape=
                            self.image_shape),
             tf.TensorArray(tf.int64, size=tf.cast(n, tf.int32), element_shape=())))
        self._store(context, replica, pool, count, written.stack())
        return tf.cast(tf.reshape(returned.stack(), tf.shape(batch)), images.dtype)

    def _store(self, context, replica, pool, count, slots):
        """Writes this replica's written slots (their final values) and count, and every
        other replica's, so that each mirrored copy receives the same updates."""
        # An image that was not stored (slot -1) rewrites slot 0 with its final value, and
        # a slot written twice in one batch appears twice with its final value: every
        # write is correct in any order, and no mask makes the shapes dynamic (XLA).
        slots = tf.maximum(slots, 0)
        values = tf.gather(pool, slots)
        rows = tf.fill(tf.shape(slots), replica)
        counts = tf.reshape(count, [1])
        if self.num_replicas > 1:
            slots, values, rows, counts = (context.all_gather(t, axis=0)
                                           for t in (slots, values, rows, counts))
        self.images.scatter_update(tf.IndexedSlices(values, rows * self.pool_size + slots))
        self.count.assign(counts)
