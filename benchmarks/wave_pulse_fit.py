"""Can a small SIREN even represent the paper's pulse in space-time? A plain regression check.

Fits a SIREN directly to the leapfrog solution of problems/wave.yaml (801² nodes, every time level)
— no PDE, just data — with half of each batch within 0.1 of the light cone r = t, 1500 Adam steps
(cosine schedule) on 4000 points, and prints the relative L2 error against the FD solution at
t = 0, 0.2 and 0.4 on a 401² grid. If this fails, the PDE loss cannot do better with that network.

Run: python benchmarks/wave_pulse_fit.py [WIDTH] [W0]   (defaults 64, 30)
"""

import sys
import time

import numpy as np
import torch

import sirenpde as sp
from sirenpde.references import solve_wave_fd

A, S2, T = 0.02, 5e-4, 0.4


def batch(n: int, reference, generator: torch.Generator):
    u = torch.rand(n, 3, generator=generator, dtype=torch.float64)
    points = torch.cat([2 * u[:, :2] - 1, T * u[:, 2:]], dim=1)
    m = n // 2  # half within 0.1 of the cone r = t
    t = T * u[:m, 2]
    radius = (t + 0.2 * (u[:m, 1] - 0.5)).abs()
    angle = 2 * np.pi * u[:m, 0]
    points[:m, 0], points[:m, 1], points[:m, 2] = radius * torch.cos(angle), radius * torch.sin(angle), t
    target = torch.as_tensor(reference(points.numpy()) / A, dtype=torch.float32)
    return points.float(), target


def main(width: int, w0: float) -> None:
    reference = solve_wave_fd([-1, -1], [1, 1], 801, 0.0, T,
                              lambda p: A * np.exp(-(p[:, 0] ** 2 + p[:, 1] ** 2) / (2 * S2)))
    problem = sp.wave(sp.Box((-1, -1), (1, 1)), 0.0, T, initial_value=0.0)  # only for the input scaling
    model = sp.build_model(problem, sp.ModelConfig(layers=(width,) * 3, w0_initial=w0))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, 1500, eta_min=1e-5)
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(1500):
        x, y = batch(4000, reference, generator)
        loss = ((model(x)[:, 0] - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    print(f"{width}x3 SIREN, w0 {w0}: 1500 Adam steps in {time.perf_counter() - start:.0f} s,"
          f" last batch mean square {float(loss.detach()):.2e} (in units of the pulse height squared)")
    xs = np.linspace(-1, 1, 401)
    x, y = np.meshgrid(xs, xs, indexing="ij")
    for t in (0.0, 0.2, 0.4):
        points = np.column_stack([x.ravel(), y.ravel(), np.full(x.size, t)])
        with torch.no_grad():
            u = A * model(torch.as_tensor(points, dtype=torch.float32))[:, 0].numpy()
        exact = reference(points)
        print(f"  t = {t}: relative L2 error {np.linalg.norm(u - exact) / np.linalg.norm(exact):.3e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 64, float(sys.argv[2]) if len(sys.argv) > 2 else 30.0)
