"""sirenpde: solve PDEs and boundary-value problems with SIRENs.

    import sirenpde as sp
    problem = sp.poisson(sp.Disk((0, 0), 1), source=..., dirichlet={None: 0.0})
    solution = sp.train(problem, config=sp.TrainConfig(steps=2000))
    sp.save(solution, "out.h5"); sp.load("out.h5").evaluate(points)

    solution = sp.solve_file("problems/poisson.yaml")   # what `sirenpde solve` does, from Python
"""

from ._version import __version__
from .config import ConfigError, load_problem_file, load_problem_text
from .constraints.constraint import AbstractConstraint, Constraint
from .constraints.problem import Problem
from .derivatives.fields import Fields
from .domains import AbstractDomain, Ball, Box, Difference, Disk, Polygon, SpaceTime, Union
from .domains.measurements import Measurements, read_table
from .domains.pointcloud import PointCloud, read_point_cloud
from .domains.regions import Boundary, Interior, Region
from .expressions.coefficients import expression
from .model.config import ModelConfig, build_model
from .model.siren import SIREN, Sine, siren_uniform_
from .model.unknowns import Unknowns
from .problems import PML, PointSource, eikonal, helmholtz, poisson, sdf, wave
from .results.hdf5 import load, save
from .results.solution import Solution
from .runs import FileRun, solve_file
from .sampling.strategies import RAD, LatinHypercube, NearPoints, Plain, SamplingStrategy
from .training.auto import auto_settings
from .training.loop import Progress, TrainingError, TrainingInterrupted, train
from .training.settings import TrainConfig
from .training.until import Until

__all__ = [
    "__version__",
    "AbstractConstraint", "AbstractDomain", "Ball", "Boundary", "Box", "ConfigError", "Constraint",
    "Difference", "Disk", "Fields", "Interior", "Measurements", "ModelConfig", "PML", "PointSource",
    "Polygon", "Problem", "Progress", "helmholtz",
    "Region", "SIREN", "Sine", "Solution", "SpaceTime", "TrainConfig", "TrainingError", "TrainingInterrupted",
    "Union", "Until", "Unknowns", "LatinHypercube", "NearPoints", "Plain", "RAD", "SamplingStrategy",
    "auto_settings", "build_model", "eikonal", "FileRun", "solve_file", "expression", "load",
    "load_problem_file", "load_problem_text", "poisson",
    "PointCloud", "read_point_cloud", "read_table", "sdf", "wave", "save", "siren_uniform_", "train",
]
