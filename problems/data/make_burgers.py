"""Write the Burgers files from the exact Cole–Hopf solution (sirenpde.references.burgers):

* burgers_reference.npy — u on the 256 × 101 grid x ∈ [−1, 1], t ∈ [0, 1] (Raissi et al.'s grid),
  the reference of custom_burgers.yaml;
* burgers_sensors.csv — 2000 measurements u(x_i, t_i) at uniform random points, with 1 % Gaussian
  noise (σ = 0.01 · the standard deviation of u over the record, as in Raissi et al.), the data of
  inverse_burgers.yaml.

Run from this folder: python make_burgers.py (a few seconds).
"""

import numpy as np

from sirenpde.references import burgers_cole_hopf

NX, NT, SENSORS, NOISE, SEED = 256, 101, 2000, 0.01, 0


def main() -> None:
    x, t = np.linspace(-1, 1, NX), np.linspace(0, 1, NT)
    X, T = np.meshgrid(x, t, indexing="ij")
    np.save("burgers_reference.npy", burgers_cole_hopf(X, T))
    rng = np.random.default_rng(SEED)
    xs, ts = rng.uniform(-1, 1, SENSORS), rng.uniform(0, 1, SENSORS)
    u = burgers_cole_hopf(xs, ts)
    u_obs = u + NOISE * u.std() * rng.standard_normal(SENSORS)
    np.savetxt("burgers_sensors.csv", np.stack([xs, ts, u_obs], axis=1), delimiter=",",
               header="x,t,u_obs", comments="", fmt="%.10g")


if __name__ == "__main__":
    main()
