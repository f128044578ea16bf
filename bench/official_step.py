"""Times the official PyTorch U-GAT-IT training iteration (benchmark only).

    python bench/official_step.py --device=cuda --light=1 --ch=64 --size=256 --batch=1

The networks are the official `networks.py` (znxlwm/UGATIT-pytorch), imported from
`--networks` (not part of this project: `git clone` that repository into
`bench/third_party/UGATIT-pytorch`); the iteration below follows the official
`UGATIT.train` loop body: a D update (2 G calls, 8 D calls) and then a G update (6 G
calls, 4 D calls) on the same batch, torch Adam(0.5, 0.999, weight decay 1e-4) for both,
then the rho clipper. One random batch is reused, so no data loading is timed. Only
torch and numpy are imported; this script never imports TensorFlow or `ugatit_tf`.

Prints one line `RESULT {json}`: ms/iter (median of `--repeats` timed runs of `--steps`
iterations), images/s (4 per iteration per batch element, as bench/train_bench.py
counts), start-up (process start to the end of the first iteration), peak memory
(`torch.cuda.max_memory_allocated` on a GPU, peak RSS on the CPU).
"""

import time

_PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402

DEFAULT_NETWORKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "third_party",
                                "UGATIT-pytorch", "networks.py")


def load_networks(path):
    if not os.path.exists(path):
        raise SystemExit(
            f"{path} not found: clone the official code first "
            f"(git clone https://github.com/znxlwm/UGATIT-pytorch "
            f"bench/third_party/UGATIT-pytorch).")
    spec = importlib.util.spec_from_file_location("official_networks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class OfficialIteration:
    """The official networks, optimizers and losses of `UGATIT.build_model` (defaults of
    its `main.py`), with `__call__` running one iteration of `UGATIT.train`."""

    def __init__(self, networks, device, light, ch, size, n_res=4, lr=1e-4,
                 weight_decay=1e-4, adv=1.0, cycle=10.0, identity=10.0, cam=1000.0):
        import torch
        from torch import nn

        gen = lambda: networks.ResnetGenerator(3, 3, ngf=ch, n_blocks=n_res,  # noqa: E731
                                               img_size=size, light=light).to(device)
        self.gen_a2b, self.gen_b2a = gen(), gen()
        self.dis_ga, self.dis_gb = (networks.Discriminator(3, ch, n_layers=7).to(device)
                                    for _ in range(2))
        self.dis_la, self.dis_lb = (networks.Discriminator(3, ch, n_layers=5).to(device)
                                    for _ in range(2))
        self.l1, self.mse, self.bce = nn.L1Loss(), nn.MSELoss(), nn.BCEWithLogitsLoss()
        self.g_optim = torch.optim.Adam(
            itertools.chain(self.gen_a2b.parameters(), self.gen_b2a.parameters()), lr=lr,
            betas=(0.5, 0.999), weight_decay=weight_decay)
        self.d_optim = torch.optim.Adam(
            itertools.chain(*(d.parameters() for d in self._discs())), lr=lr,
            betas=(0.5, 0.999), weight_decay=weight_decay)
        self.rho_clipper = networks.RhoClipper(0, 1)
        self.weights = adv, cycle, identity, cam
        for net in (self.gen_a2b, self.gen_b2a, *self._discs()):
            net.train()

    def _discs(self):
        return self.dis_ga, self.dis_gb, self.dis_la, self.dis_lb

    def _adv(self, logit, target):
        import torch

        return self.mse(logit, torch.full_like(logit, target))

    def __call__(self, real_a, real_b):
        import torch

        adv, cycle, identity, cam = self.weights
        self.d_optim.zero_grad()
        fake_a2b, _, _ = self.gen_a2b(real_a)
        fake_b2a, _, _ = self.gen_b2a(real_b)
        d_loss = 0.0
        for disc, real, fake in ((self.dis_ga, real_a, fake_b2a), (self.dis_la, real_a, fake_b2a),
                                 (self.dis_gb, real_b, fake_a2b), (self.dis_lb, real_b, fake_a2b)):
            real_logit, real_cam, _ = disc(real)
            fake_logit, fake_cam, _ = disc(fake)  # not detached, as in the official loop
            d_loss = d_loss + adv * (self._adv(real_logit, 1.0) + self._adv(fake_logit, 0.0)
                                     + self._adv(real_cam, 1.0) + self._adv(fake_cam, 0.0))
        d_loss.backward()
        self.d_optim.step()

        self.g_optim.zero_grad()
        fake_a2b, fake_a2b_cam, _ = self.gen_a2b(real_a)
        fake_b2a, fake_b2a_cam, _ = self.gen_b2a(real_b)
        fake_a2b2a, _, _ = self.gen_b2a(fake_a2b)
        fake_b2a2b, _, _ = self.gen_a2b(fake_b2a)
        fake_a2a, fake_a2a_cam, _ = self.gen_b2a(real_a)
        fake_b2b, fake_b2b_cam, _ = self.gen_a2b(real_b)
        g_loss = 0.0
        for disc, fake in ((self.dis_ga, fake_b2a), (self.dis_la, fake_b2a),
                           (self.dis_gb, fake_a2b), (self.dis_lb, fake_a2b)):
            logit, cam_logit, _ = disc(fake)
            g_loss = g_loss + adv * (self._adv(logit, 1.0) + self._adv(cam_logit, 1.0))
        bce = lambda x, t: self.bce(x, torch.full_like(x, t))  # noqa: E731
        g_loss = g_loss + cycle * (self.l1(fake_a2b2a, real_a) + self.l1(fake_b2a2b, real_b))
        g_loss = g_loss + identity * (self.l1(fake_a2a, real_a) + self.l1(fake_b2b, real_b))
        g_loss = g_loss + cam * (bce(fake_b2a_cam, 1.0) + bce(fake_a2a_cam, 0.0)
                                 + bce(fake_a2b_cam, 1.0) + bce(fake_b2b_cam, 0.0))
        g_loss.backward()
        self.g_optim.step()
        self.gen_a2b.apply(self.rho_clipper)
        self.gen_b2a.apply(self.rho_clipper)
        return d_loss, g_loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default=DEFAULT_NETWORKS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--light", type=int, default=1)
    parser.add_argument("--ch", type=int, default=64)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: its default)")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    networks = load_networks(args.networks)
    torch.manual_seed(0)
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    step = OfficialIteration(networks, device, bool(args.light), args.ch, args.size)
    shape = (args.batch, 3, args.size, args.size)
    real_a, real_b = (torch.rand(shape, device=device) * 2 - 1 for _ in "AB")
    for _ in range(args.warmup):
        d_loss, g_loss = step(real_a, real_b)
        sync()
        if _ == 0:
            startup_s = time.perf_counter() - _PROCESS_START
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            d_loss, g_loss = step(real_a, real_b)
        sync()
        times.append((time.perf_counter() - start) / args.steps)
    ms = 1000 * statistics.median(times)
    peak = (torch.cuda.max_memory_allocated() if on_gpu
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) / 2**30
    print("RESULT " + json.dumps({
        "side": "official", "device": args.device, "light": bool(args.light), "ch": args.ch,
        "image_size": args.size, "batch": args.batch, "dtype": "float32",
        "ms_per_iter": ms, "ms_per_iter_min": 1000 * min(times),
        "images_per_s": 4 * args.batch * 1000 / ms, "startup_s": startup_s,
        "peak_gib": peak, "memory": "cuda max allocated" if on_gpu else "peak RSS",
        "finite": bool(torch.isfinite(d_loss) and torch.isfinite(g_loss)),
        "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
